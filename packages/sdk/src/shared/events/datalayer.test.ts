import { describe, expect, it } from 'vitest';
import { intake } from '../store-service.js';
import type { RawCall } from '../worker-api.js';
import { readPush, type PushVia } from './datalayer.js';

const TS = 1_700_000_000_000;

/** What the worker makes of one push as the bridge passes it on: stored [type, ids], refusals [code], ignored kinds. */
function outcome(via: PushVia, name: unknown, props: unknown) {
  const b = intake({ calls: [[name, props, TS, via] as RawCall], events: [], rejections: [], consent: [] });
  return {
    stored: b.events.map((e) => [e.type, e.items.map((i) => i.id)]),
    refused: b.rejections.map((r) => r.code),
    ignored: Object.keys(b.ignored ?? {}),
    reasons: b.rejections.map((r) => r.reason),
    events: b.events,
  };
}

// Universal Analytics Enhanced Ecommerce as the GTM developer guide pushes it (shapes, not copies: the corpus
// under e2e/tracking/corpus holds the copied payloads).
const products = [{ id: 'P12345', name: 'Triblend Android T-Shirt', price: '15.25', brand: 'Google', category: 'Apparel', variant: 'Gray', quantity: 1 }];

describe('readPush: Universal Analytics Enhanced Ecommerce', () => {
  it('maps each action to its GA4 event, impressions first, with list positions and the purchase revenue', () => {
    const ec = {
      currencyCode: 'EUR',
      impressions: [{ id: 'P1', list: 'Search Results', position: 1 }, { id: 'P2', list: 'Search Results', position: 2 }],
      detail: { actionField: { list: 'Apparel Gallery' }, products },
    };
    const o = outcome('ecommerce', undefined, ec);
    expect(o.stored).toEqual([['view_item_list', ['P1', 'P2']], ['view_item', ['P12345']]]);
    expect(o.events[0]!.items.map((i) => i.index)).toEqual([1, 2]);
    expect(o.events[1]!.items[0]).toEqual({ id: 'P12345', priceBucket: 8, brand: 'Google', category: 'Apparel', quantity: 1 });
    for (const [key, type] of [['click', 'select_item'], ['add', 'add_to_cart'], ['remove', 'remove_from_cart'], ['checkout', 'begin_checkout']] as const) {
      expect(outcome('ecommerce', 'customEvent', { [key]: { actionField: { step: 1 }, products } }).stored).toEqual([[type, ['P12345']]]);
    }
    const purchase = outcome('ecommerce', 'purchase', { purchase: { actionField: { id: 'T12345', affiliation: 'Online Store', revenue: '35.43', tax: '4.90', shipping: '5.99', coupon: 'SUMMER_SALE' }, products } });
    expect(purchase.stored).toEqual([['purchase', ['P12345']]]);
    expect(purchase.events[0]!.value).toBe(10); // the revenue's bucket, never the amount or the order id
    expect(JSON.stringify(purchase.events)).not.toMatch(/T12345|SUMMER|35\.43/);
  });

  it('refuses checkout steps after the first, checkout options, refunds and promotions, each with why', () => {
    const step2 = outcome('ecommerce', 'checkout', { checkout: { actionField: { step: 2, option: 'Visa' }, products } });
    expect([step2.stored, step2.refused]).toEqual([[], ['not_behaviour']]);
    expect(step2.reasons[0]).toContain('step 2');
    expect(outcome('ecommerce', 'checkout', { checkout: { actionField: { step: '1' }, products } }).stored).toEqual([['begin_checkout', ['P12345']]]);
    expect(outcome('ecommerce', 'checkout', { checkout: { actionField: { step: '3' }, products } }).refused).toEqual(['not_behaviour']);
    // a named step says nothing of its order: read as the checkout itself
    expect(outcome('ecommerce', 'dl_begin_checkout', { checkout: { actionField: { step: 'Contact Information' }, products } }).stored).toEqual([['begin_checkout', ['P12345']]]);
    for (const ec of [
      { checkout_option: { actionField: { step: 1, option: 'Visa' } } },
      { refund: { actionField: { id: 'T12345' } } },
      { promoView: { promotions: [{ id: 'JUNE_PROMO13', name: 'June Sale', creative: 'banner1', position: 'slot1' }] } },
      { promoClick: { promotions: [{ id: 'PROMO_1234' }] } },
    ]) {
      const o = outcome('ecommerce', 'any', ec);
      expect([o.stored, o.refused], JSON.stringify(ec)).toEqual([[], ['not_behaviour']]);
    }
    // promotions beside a product action: the action is stored, the promotions refused
    const both = outcome('ecommerce', undefined, { detail: { products }, promoView: { promotions: [{ id: 'X' }] } });
    expect([both.stored, both.refused]).toEqual([[['view_item', ['P12345']]], ['not_behaviour']]);
  });

  it('reads a GA4 event name over a UA payload as UA, and a push with both shapes once, as GA4', () => {
    expect(outcome('ecommerce', 'add_to_cart', { add: { products } }).stored).toEqual([['add_to_cart', ['P12345']]]);
    const dual = outcome('ecommerce', 'view_item', { items: [{ item_id: 'G1' }], detail: { products } });
    expect(dual.stored).toEqual([['view_item', ['G1']]]);
    // under a custom event name the GA4 items say nothing of what happened; the UA action does
    expect(outcome('ecommerce', 'productDetail', { items: [{ item_id: 'G1' }], detail: { products } }).stored).toEqual([['view_item', ['P12345']]]);
  });

  it('refuses products without an id, and shapes it cannot read, with why', () => {
    const noId = outcome('ecommerce', 'productClick', { click: { products: [{ name: 'Tee' }] } });
    expect([noId.stored, noId.refused]).toEqual([[], ['missing_item_id']]);
    expect(outcome('ecommerce', undefined, { impressions: { id: 'P1' } }).refused).toEqual(['invalid_type']);
    expect(outcome('ecommerce', undefined, { detail: [products] }).refused).toEqual(['invalid_type']);
    const unknown = outcome('ecommerce', 'myEvent', { basket: [{ id: 'P1' }] });
    expect([unknown.refused, unknown.reasons[0]]).toEqual([['unknown_event'], expect.stringContaining('neither a GA4 e-commerce event name nor an Enhanced Ecommerce action')]);
    expect(outcome('ecommerce', undefined, { items: [{ item_id: 'A' }] }).refused).toEqual(['unknown_event']);
  });
});

describe('readPush: GA4, gtag and everything else', () => {
  it('validates GA4 e-commerce, from the ecommerce object, the top level or gtag', () => {
    expect(outcome('ecommerce', 'view_item', { items: [{ item_id: 'A' }] }).stored).toEqual([['view_item', ['A']]]);
    expect(outcome('push', 'view_item', { items: [{ item_id: 'B' }] }).stored).toEqual([['view_item', ['B']]]);
    expect(outcome('gtag-event', 'purchase', { transaction_id: 'T', items: [{ id: 'C', quantity: 2 }] }).stored).toEqual([['purchase', ['C']]]);
    expect(outcome('gtag-event', 'search', { search_term: 't-shirts' }).stored).toEqual([['search', []]]);
    expect(outcome('gtag-event', 'refund', { transaction_id: 'T' }).refused).toEqual(['not_behaviour']);
    expect(outcome('ecommerce', 'view_cart', { currency: 'USD', value: 0, items: [] }).refused).toEqual(['missing_item_id']);
    expect(outcome('push', 'view_item', { items: undefined, products: undefined }).refused).toEqual(['missing_item_id']);
    // Segment names pushed to the dataLayer are e-commerce too
    expect(outcome('ecommerce', 'Product Viewed', { product_id: 'S1', price: 3 }).stored).toEqual([['view_item', ['S1']]]);
    expect(outcome('gtag-event', 'Order Refunded', { order_id: 'O1' }).refused).toEqual(['not_behaviour']);
    expect(outcome('push', 'add_to_cart', { eventModel: { currency: 'USD', items: [{ item_id: 'E' }] } }).stored).toEqual([['add_to_cart', ['E']]]);
  });

  it('maps GTM classic ecommerce (a top-level transaction) to purchase', () => {
    const t = outcome('push', undefined, { transactionProducts: [{ sku: 'DD44', name: 'T-Shirt', price: 11.99, quantity: 1 }], transactionTotal: 38.26 });
    expect(t.stored).toEqual([['purchase', ['DD44']]]);
    expect(t.events[0]!.value).toBe(10);
  });

  it('counts what is not e-commerce by kind, and stores or refuses nothing for it', () => {
    const cases: Array<[PushVia, unknown, unknown, string]> = [
      ['push', 'gtm.js', {}, 'gtm'], ['push', 'gtm.click', {}, 'gtm'], ['gtag-consent', 'default', { ad_storage: 'denied' }, 'consent'],
      ['push', 'consent_update', {}, 'consent'], ['gtag-event', 'cookie_consent_update', {}, 'consent'],
      ['gtag-other', 'G-XXXX', undefined, 'gtag_command'], ['ecommerce', undefined, null, 'ecommerce_clear'],
      ['push', 'page_view', {}, 'not_ecommerce'], ['push', 'newsletterSignup', {}, 'not_ecommerce'], ['gtag-event', 'login', { method: 'Google' }, 'not_ecommerce'],
      ['push', undefined, {}, 'metadata'], ['other', undefined, undefined, 'metadata'], ['ecommerce', undefined, { currencyCode: 'EUR' }, 'metadata'],
    ];
    for (const [via, name, props, kind] of cases) {
      const o = outcome(via, name, props);
      expect([o.stored, o.refused, o.ignored], `${via} ${String(name)}`).toEqual([[], [], [kind]]);
    }
    expect(readPush('gtag-event', 42, {})).toMatchObject({ refusals: [{ fail: { code: 'unknown_event' } }] });
  });

  it('an unknown via is counted, never validated or thrown on', () => {
    const b = intake({ calls: [['view_item', { items: [{ item_id: 'A' }] }, TS, 'nonsense' as PushVia]], events: [], rejections: [], consent: [] });
    expect([b.events, b.rejections, b.ignored]).toEqual([[], [], { metadata: 1 }]);
  });
});

describe('intake', () => {
  it('lists the fields dropped from stored events with their type and time, and sums ignored pushes by kind', () => {
    const b = intake({
      calls: [
        ['view_item', { items: [{ item_id: 'A', item_brand: 'b'.repeat(500), index: -3 }] }, TS],
        ['gtm.js', {}, TS + 1, 'push'], ['gtm.dom', {}, TS + 2, 'push'], [undefined, null, TS + 3, 'ecommerce'],
      ],
      events: [], rejections: [], consent: [],
    });
    expect(b.events.map((e) => e.items)).toEqual([[{ id: 'A' }]]);
    expect(b.droppedFields!.map((d) => [d.field, d.code, d.event, d.ts])).toEqual([['items[].index', 'invalid_item', 'view_item', TS], ['items[].item_brand', 'too_large', 'view_item', TS]]);
    expect(b.ignored).toEqual({ gtm: 2, ecommerce_clear: 1 });
  });
});
