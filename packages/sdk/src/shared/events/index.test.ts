import { describe, expect, it } from 'vitest';
import type { EventType, RejectCode } from '../../types.js';
import { MAX_ITEMS, NEEDS_ITEMS, bucketLowerBound, priceBucket, validateEvent, type FieldIssue, type PerchEvent } from './index.js';

const NOW = 1_700_000_000_000;

function ok(name: unknown, props: unknown): { event: PerchEvent; dropped: string[]; issues: FieldIssue[] } {
  const r = validateEvent(name, props, NOW);
  if (!r.ok) throw new Error(`expected ok, got ${r.rejection.code}: ${r.rejection.reason}`);
  return r;
}

/** The event is kept and exactly this field dropped (or cut) with this code; returns the kept event and the reason. */
function droppedField(name: unknown, props: unknown, field: string, code: RejectCode): { event: PerchEvent; reason: string } {
  const r = ok(name, props);
  expect(r.issues.map((i) => [i.field, i.code])).toEqual([[field, code]]);
  return { event: r.event, reason: r.issues[0]!.reason };
}

function rejected(name: unknown, props: unknown, code: RejectCode): string {
  const r = validateEvent(name, props, NOW);
  if (r.ok) throw new Error(`expected ${code}, got ok: ${JSON.stringify(r.event)}`);
  expect(r.rejection.code).toBe(code);
  expect(r.rejection.reason.length).toBeGreaterThan(10);
  expect(r.rejection.ts).toBe(NOW);
  return r.rejection.reason;
}

const gaItem = {
  item_id: 'SKU_12345',
  item_name: 'Stan and Friends Tee',
  affiliation: 'Google Merchandise Store',
  coupon: 'SUMMER_FUN',
  discount: 2.22,
  index: 0,
  item_brand: 'Google',
  item_category: 'Apparel',
  item_category2: 'Adult',
  item_category3: 'Shirts',
  item_list_id: 'related_products',
  item_list_name: 'Related Products',
  item_variant: 'green',
  location_id: 'ChIJIQBpAG2ahYAR_6128GcTUEo',
  price: 9.99,
  quantity: 1,
};

describe('GA4 events', () => {
  const types = Object.keys(NEEDS_ITEMS) as EventType[];

  it.each(types)('%s with a full GA4 item is stored minimised', (type) => {
    const { event, dropped } = ok(type, {
      currency: 'USD',
      value: 7.77,
      item_list_id: 'related_products',
      item_list_name: 'Related products',
      items: [gaItem],
    });
    expect(event).toEqual({
      v: 1,
      type,
      ts: NOW,
      list: 'related_products',
      value: priceBucket(7.77),
      items: [{ id: 'SKU_12345', list: 'related_products', index: 0, category: 'Shirts', brand: 'Google', priceBucket: priceBucket(9.99), quantity: 1 }],
    });
    expect(dropped).toEqual([]);
  });

  it.each(types.filter((t) => !NEEDS_ITEMS[t]))('%s may have no items', (type) => {
    expect(ok(type, { search_term: 'red shoes' }).event).toEqual({ v: 1, type, ts: NOW, items: [] });
    expect(ok(type, undefined).event.items).toEqual([]);
  });

  it.each(types.filter((t) => NEEDS_ITEMS[t]))('%s without items is refused', (type) => {
    expect(rejected(type, {}, 'missing_item_id')).toContain(type);
    rejected(type, { items: [] }, 'missing_item_id');
  });

  it('accepts a single item at the top level as shorthand', () => {
    expect(ok('view_item', { item_id: 'A1', price: 5 }).event.items).toEqual([{ id: 'A1', priceBucket: priceBucket(5) }]);
  });

  it('keeps dwell time from engagement_time_msec or dwell_ms, rounded and clamped to a day', () => {
    expect(ok('view_item', { item_id: 'A', engagement_time_msec: '1500.4' }).event.dwellMs).toBe(1500);
    expect(ok('view_item', { item_id: 'A', dwell_ms: 1e12 }).event.dwellMs).toBe(86_400_000);
    expect(droppedField('view_item', { item_id: 'A', dwell_ms: -1 }, 'dwell_ms', 'invalid_props').event).toEqual({ v: 1, type: 'view_item', ts: NOW, items: [{ id: 'A' }] });
  });

  it('keeps the rerank attribution token', () => {
    expect(ok('select_item', { items: [{ item_id: 'A' }], attribution: 'perch:r1:abc' }).event.attribution).toBe('perch:r1:abc');
    expect(droppedField('select_item', { items: [{ item_id: 'A' }], attribution: 42 }, 'attribution', 'invalid_type').event.attribution).toBeUndefined();
  });

  it('uses the current time when now is not a finite number', () => {
    const before = Date.now();
    const r = validateEvent('search', {}, Number.NaN);
    expect(r.ok && r.event.ts >= before).toBe(true);
  });
});

describe('normalisation', () => {
  it('parses numeric strings and trims ids', () => {
    const { event } = ok('add_to_cart', { value: '12.50', items: [{ item_id: '  A1 ', price: ' 12.50 ', quantity: '2', index: '3' }] });
    expect(event.items[0]).toEqual({ id: 'A1', priceBucket: priceBucket(12.5), quantity: 2, index: 3 });
    expect(event.value).toBe(priceBucket(12.5));
    expect(ok('view_item', { items: [{ item_id: 'A', price: '1e3' }] }).event.items[0]?.priceBucket).toBe(priceBucket(1000));
  });

  it('turns numeric ids into strings', () => {
    expect(ok('view_item', { items: [{ item_id: 507 }] }).event.items[0]?.id).toBe('507');
    expect(ok('view_item', { items: [{ item_id: -0 }] }).event.items[0]?.id).toBe('0');
  });

  it('drops non-finite numbers, in any spelling (an empty string is an absent field)', () => {
    for (const price of [Number.NaN, Infinity, 'Infinity', 'NaN', '-Infinity', 'abc', '1,5', '0x1f', '0b11', '1e999']) {
      expect(droppedField('view_item', { items: [{ item_id: 'A', price }] }, 'items[].price', 'invalid_type').event.items).toEqual([{ id: 'A' }]);
    }
    expect(ok('view_item', { items: [{ item_id: 'A', price: '' }] }).issues).toEqual([]);
    rejected('view_item', { items: [{ item_id: Infinity }] }, 'invalid_type');
  });

  it('price buckets are monotonic half-octaves and never the price', () => {
    expect(priceBucket(0)).toBe(0);
    expect(priceBucket(9.99)).toBe(6);
    expect(priceBucket(100)).toBe(13);
    expect(priceBucket(1e300)).toBe(63);
    let prev = 0;
    for (let p = 0; p < 5000; p += 3.7) {
      const b = priceBucket(p);
      expect(b).toBeGreaterThanOrEqual(prev);
      expect(bucketLowerBound(b)).toBeLessThanOrEqual(p + 1e-9);
      prev = b;
    }
  });

  it('takes the most specific GA4 category level given', () => {
    const item = { item_id: 'A', item_category: 'Apparel', item_category2: 'Adult', item_category5: 'Short sleeve' };
    expect(ok('view_item', { items: [item] }).event.items[0]?.category).toBe('Short sleeve');
    expect(ok('view_item', { items: [{ item_id: 'A', item_category: 'Apparel', item_category2: '' }] }).event.items[0]?.category).toBe('Apparel');
  });

  it('matches event names case-insensitively', () => {
    expect(ok('PRODUCT VIEWED', { product_id: 'A' }).event.type).toBe('view_item');
    expect(ok('View_Item', { item_id: 'A' }).event.type).toBe('view_item');
  });

  it('reports unknown fields once each, without the known-but-discarded ones', () => {
    const { dropped } = ok('view_item_list', {
      item_list_name: 'Home',
      user_id: 'u-1',
      email: 'x@y.com',
      items: [{ item_id: 'A', item_name: 'Tee', colour: 'red' }, { item_id: 'B', colour: 'blue' }],
    });
    expect(dropped.sort()).toEqual(['email', 'items[].colour', 'user_id']);
  });

  it('caps the dropped list', () => {
    const props: Record<string, unknown> = { item_id: 'A' };
    for (let i = 0; i < 100; i++) props[`x${i}`] = i;
    expect(ok('view_item', props).dropped).toHaveLength(32);
  });
});

describe('minimisation', () => {
  const pii = {
    item_name: 'Secret Product Name',
    name: 'Secret Product Name',
    url: 'https://shop.example/p/secret',
    image_url: 'https://cdn.example/secret.jpg',
    email: 'jane@example.com',
    user_id: 'user-8391',
    search_term: 'pregnancy test',
    query: 'pregnancy test',
    transaction_id: 'T-991',
    order_id: 'O-991',
    coupon: 'JANE10',
    item_variant: 'XXL',
  };

  it.each(['view_item', 'Product Viewed', 'purchase', 'Order Completed', 'search', 'Products Searched'])(
    'no name, URL, email, search term or user id survives in %s',
    (name) => {
      const props = { ...pii, product_id: 'P1', items: [{ item_id: 'P1', ...pii }], products: [{ product_id: 'P1', ...pii }] };
      const { event } = ok(name, props);
      const text = JSON.stringify(event);
      for (const v of Object.values(pii)) expect(text).not.toContain(v);
      expect(Object.keys(event).sort()).toEqual(expect.arrayContaining(['items', 'ts', 'type', 'v']));
      for (const it of event.items) expect(Object.keys(it)).toEqual(['id']);
    },
  );

  it('refuses ids that look like emails or URLs; drops lists, categories and brands that do', () => {
    expect(rejected('view_item', { items: [{ item_id: 'jane.doe@example.com' }] }, 'invalid_item')).toContain('email');
    expect(rejected('view_item', { items: [{ item_id: 'https://shop/p/1' }] }, 'invalid_item')).toContain('URL');
    for (const [props, field, code] of [
      [{ items: [{ item_id: 'A', item_brand: 'me@brand.io' }] }, 'items[].item_brand', 'invalid_item'],
      [{ items: [{ item_id: 'A', item_category: 'www.example.com' }] }, 'items[].item_category', 'invalid_item'],
      [{ item_list_id: 'a@b.co', items: [{ item_id: 'A' }] }, 'item_list_id', 'invalid_props'],
    ] as const) {
      const r = droppedField('view_item', props, field, code);
      expect(r.event.items).toEqual([{ id: 'A' }]);
      expect(JSON.stringify(r)).not.toMatch(/me@brand|www\.example|a@b\.co/); // neither stored nor echoed in the reason
    }
    // In a list, an item whose id is personal data is left out and the others kept.
    const mixed = ok('view_item_list', { items: [{ item_id: 'jane.doe@example.com' }, { item_id: 'B' }] });
    expect(mixed.event.items).toEqual([{ id: 'B' }]);
    expect(mixed.issues.map((i) => [i.field, i.code])).toEqual([['items[]', 'invalid_item']]);
    expect(JSON.stringify(mixed)).not.toContain('jane');
    // An "@" that is not an email shape is a legitimate SKU character.
    expect(ok('view_item', { items: [{ item_id: 'tee@2x' }] }).event.items[0]?.id).toBe('tee@2x');
  });
});

describe('rejections', () => {
  it('name the offending field in the reason, for a refused event and for a dropped field', () => {
    expect(droppedField('view_item', { items: [{ item_id: 'A' }, { item_id: 'B', price: 'cheap' }] }, 'items[].price', 'invalid_type').reason).toBe(
      'items[1].price must be a number or a decimal numeric string, got a 5-character string (dropped; the event is kept)',
    );
    expect(rejected('Product List Viewed', { products: [{ sku: 'x'.repeat(200) }] }, 'too_large')).toBe('products[0].sku is 200 characters, max 128');
    expect(droppedField('Product Viewed', { product_id: 'P', position: 2.5 }, 'props[].position', 'invalid_item').reason).toBe('props.position must be a non-negative integer, got 2.5 (dropped; the event is kept)');
    expect(droppedField('purchase', { value: -5, items: [{ item_id: 'A' }] }, 'value', 'invalid_props').reason).toBe('value must not be negative, got -5 (dropped; the event is kept)');
    expect(droppedField('view_item', { items: [{ item_id: 'A', item_category3: { x: 1 } }] }, 'items[].item_category3', 'invalid_type').reason).toBe(
      'items[0].item_category3 must be a string or a number, got object (dropped; the event is kept)',
    );
  });

  it('unknown_event', () => {
    expect(rejected('page_view', {}, 'unknown_event')).toContain('page_view');
    expect(rejected('login', { method: 'Google' }, 'unknown_event')).toContain('not a GA4 e-commerce event');
    rejected(42, {}, 'unknown_event');
    rejected('constructor', {}, 'unknown_event');
    rejected('__proto__', {}, 'unknown_event');
    const pii = validateEvent('jane@example.com', {}, NOW);
    expect(!pii.ok && pii.rejection.event).toBe('(redacted)');
    expect(!pii.ok && pii.rejection.reason).not.toContain('jane');
    const long = 'x'.repeat(100_000);
    const r = validateEvent(long, {}, NOW);
    expect(!r.ok && r.rejection.event?.length).toBeLessThanOrEqual(65);
  });

  it('not_behaviour: e-commerce that is not shopping behaviour, named with why', () => {
    expect(rejected('Order Refunded', {}, 'not_behaviour')).toContain('no GA4');
    expect(rejected('refund', { transaction_id: 'T_1', items: [{ item_id: 'A' }] }, 'not_behaviour')).toContain('refund');
    expect(rejected('view_promotion', { items: [{ item_id: 'A', promotion_id: 'P' }] }, 'not_behaviour')).toContain('promotion');
    expect(rejected('select_promotion', {}, 'not_behaviour')).toContain('promotion');
    expect(rejected('add_payment_info', { items: [{ item_id: 'A' }] }, 'not_behaviour')).toContain('checkout progress');
    expect(rejected('add_shipping_info', { items: [{ item_id: 'A' }] }, 'not_behaviour')).toContain('checkout progress');
    expect(rejected('checkout_progress', { checkout_step: 2 }, 'not_behaviour')).toContain('checkout progress');
    expect(rejected('set_checkout_option', { checkout_step: 1, checkout_option: 'shipping method' }, 'not_behaviour')).toContain('checkout option');
  });

  it('select_content (UA-era gtag.js) is a product click only with content_type "product"', () => {
    const r = ok('select_content', { content_type: 'product', items: [{ id: 'P12345', list_position: 3 }] });
    expect(r.event).toEqual({ v: 1, type: 'select_item', ts: NOW, items: [{ id: 'P12345', index: 3 }] });
    expect(r.dropped).toEqual([]);
    expect(rejected('select_content', { content_type: 'promotion', promotions: [{ id: 'abc' }] }, 'not_behaviour')).toContain('promotion');
    expect(rejected('select_content', { items: [{ id: 'P1' }] }, 'not_behaviour')).toContain('no content_type');
  });

  it('an empty cart view and an item-less checkout are refused, with why', () => {
    expect(rejected('view_cart', { currency: 'USD', value: 0, items: [] }, 'missing_item_id')).toContain('empty cart');
    expect(rejected('begin_checkout', { value: 10 }, 'missing_item_id')).toContain('checkout without items');
    expect(rejected('Cart Viewed', { cart_id: 'c1' }, 'missing_item_id')).toContain('empty cart');
  });

  it('invalid_props', () => {
    for (const p of [null, 42, 'str', [], () => 1, true]) rejected('view_cart', p, 'invalid_props');
  });

  it('missing_item_id: when no item has a usable id; an item without one is left out of a list with good ones', () => {
    expect(rejected('view_item', { items: [{ item_name: 'Tee' }] }, 'missing_item_id')).toContain('items[0]');
    rejected('view_item', { items: [{ item_id: '   ' }] }, 'missing_item_id');
    expect(rejected('view_item_list', { items: [{ price: 3 }, { item_name: 'B' }] }, 'missing_item_id')).toContain('items[0]');
    expect(droppedField('view_item_list', { items: [{ item_id: 'A' }, { price: 3 }] }, 'items[]', 'missing_item_id').event.items).toEqual([{ id: 'A' }]);
  });

  it('invalid_item: an item that is not an object refuses only when nothing else is usable; bad optional fields are dropped', () => {
    rejected('view_item', { items: [42] }, 'invalid_item');
    rejected('view_item', { items: [null] }, 'invalid_item');
    for (const [item, field] of [
      [{ item_id: 'A', price: -1 }, 'items[].price'],
      [{ item_id: 'A', quantity: 1.5 }, 'items[].quantity'],
      [{ item_id: 'A', index: -1 }, 'items[].index'],
      [{ item_id: 'A', list_position: '-2' }, 'items[].list_position'],
    ] as const) {
      expect(droppedField('view_item', { items: [item] }, field, 'invalid_item').event.items).toEqual([{ id: 'A' }]);
    }
    // eslint-disable-next-line no-sparse-arrays
    expect(droppedField('view_item', { items: [, { item_id: 'A' }] }, 'items[]', 'invalid_item').event.items).toEqual([{ id: 'A' }]);
  });

  it('too_many_items', () => {
    const items = Array.from({ length: MAX_ITEMS + 1 }, (_, i) => ({ item_id: `A${i}` }));
    expect(rejected('view_item_list', { items }, 'too_many_items')).toContain('201');
    expect(ok('view_item_list', { items: items.slice(0, MAX_ITEMS) }).event.items).toHaveLength(MAX_ITEMS);
  });

  it('invalid_type', () => {
    rejected('view_item_list', { items: { 0: { item_id: 'A' }, length: 1 } }, 'invalid_type');
    rejected('view_item', { items: [{ item_id: { id: 1 } }] }, 'invalid_type');
    rejected('view_item', { items: [{ item_id: 10n }] }, 'invalid_type');
    rejected('view_item', { items: [{ item_id: Symbol('x') }] }, 'invalid_type');
    droppedField('view_item', { items: [{ item_id: 'A', price: { amount: 1 } }] }, 'items[].price', 'invalid_type');
    droppedField('view_item', { items: [{ item_id: 'A', item_brand: ['x'] }] }, 'items[].item_brand', 'invalid_type');
    droppedField('purchase', { value: 'lots', items: [{ item_id: 'A' }] }, 'value', 'invalid_type');
    // An items field of the wrong shape is dropped from an event that does not need items.
    expect(droppedField('view_search_results', { items: 'none' }, 'items', 'invalid_type').event.items).toEqual([]);
  });

  it('too_large: ids are refused, never cut (a cut id names another product); category and brand up to 256 characters are cut to 64', () => {
    rejected('view_item', { items: [{ item_id: 'x'.repeat(129) }] }, 'too_large');
    expect(ok('view_item', { items: [{ item_id: 'x'.repeat(128) }] }).event.items[0]?.id).toHaveLength(128);
    const cut = ok('view_item', { items: [{ item_id: 'A', item_category: 'c'.repeat(65), item_brand: 'b'.repeat(500) }] });
    expect(cut.event.items).toEqual([{ id: 'A', category: 'c'.repeat(64) }]);
    expect(cut.issues.map((i) => [i.field, i.code, i.truncated ?? false])).toEqual([['items[].item_category', 'too_large', true], ['items[].item_brand', 'too_large', false]]);
    droppedField('view_item', { items: [{ item_id: 'A', price: '1'.repeat(33) }] }, 'items[].price', 'too_large');
    rejected('view_item', { items: [{ item_id: 'x'.repeat(10_000_000) }] }, 'too_large');
  });

  it('an object with more than 256 fields keeps the fields Perch reads, and says so', () => {
    const wide: Record<string, unknown> = { item_id: 'A', price: 5 };
    for (let i = 0; i < 300; i++) wide[`k${i}`] = i;
    const r = ok('view_item', wide);
    expect(r.event.items).toEqual([{ id: 'A', priceBucket: priceBucket(5) }]);
    expect(r.issues.map((i) => [i.field, i.code])).toEqual([['props', 'too_large']]);
    // integer-like keys come first in an object's key order: the id after 300 of them is still found
    const numeric: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) numeric[i] = 'x';
    numeric.item_id = 'B';
    const n = ok('view_item_list', { items: [numeric] });
    expect(n.event.items).toEqual([{ id: 'B' }]);
    expect(n.issues.map((i) => i.field)).toEqual(['items[]']);
  });
});

describe('platform and UA-era ids', () => {
  it('stores Shopify product and variant global ids as given, and refuses any other gid', () => {
    expect(ok('view_item', { items: [{ item_id: 'gid://shopify/Product/7982851178717' }] }).event.items[0]?.id).toBe('gid://shopify/Product/7982851178717');
    expect(ok('add_to_cart', { items: [{ item_id: ' gid://shopify/ProductVariant/43747462070493 ' }] }).event.items[0]?.id).toBe('gid://shopify/ProductVariant/43747462070493');
    expect(rejected('view_item', { items: [{ item_id: 'gid://shopify/Customer/6276363255965' }] }, 'invalid_item')).toContain('identify a person');
    rejected('view_item', { items: [{ item_id: 'gid://shopify/Order/1' }] }, 'invalid_item');
    rejected('view_item', { items: [{ item_id: 'gid://shopify/Product/' }] }, 'invalid_item');
    rejected('view_item', { items: [{ item_id: 'gid://shopify/Product/1?redirect=https://evil.example' }] }, 'invalid_item');
    rejected('view_item', { items: [{ item_id: 'gid:///Product/1' }] }, 'invalid_item');
    expect(droppedField('view_item', { items: [{ item_id: 'A', item_brand: 'gid://shopify/Customer/1' }] }, 'items[].item_brand', 'invalid_item').event.items).toEqual([{ id: 'A' }]);
  });

  it('keeps leading zeros of string ids and turns numeric ids into strings', () => {
    expect(ok('view_item', { items: [{ item_id: '000123' }, { item_id: 123 }] }).event.items.map((i) => i.id)).toEqual(['000123', '123']);
  });

  it('reads the UA-era gtag item (id, list_position) and Segment v1 products[].id, without reporting their fields as unknown', () => {
    const ua = { id: 'P12345', name: 'Android Warhol T-Shirt', list_name: 'Search Results', brand: 'Google', category: 'Apparel/T-Shirts', variant: 'Black', list_position: 2, quantity: 2, price: '2.0' };
    const r = ok('view_item_list', { items: [ua] });
    expect(r.event.items).toEqual([{ id: 'P12345', index: 2, category: 'Apparel/T-Shirts', brand: 'Google', priceBucket: 3, quantity: 2 }]);
    expect(r.dropped).toEqual([]);
    expect(ok('Product List Viewed', { products: [{ id: 'seg-1', sku: 'S-1' }] }).event.items[0]?.id).toBe('seg-1');
    // item_id and product_id come first; sku only when there is no id
    expect(ok('view_item', { items: [{ item_id: 'G', id: 'U' }] }).event.items[0]?.id).toBe('G');
    expect(ok('view_item', { items: [{ sku: 'S', id: 'U' }] }).event.items[0]?.id).toBe('U');
    // camelCase productId (Shopify's and several pixels' payloads), after product_id, before id and sku
    expect(ok('Product Viewed', { productId: '7982851178717', sku: 'TEE-S' }).event.items[0]?.id).toBe('7982851178717');
    expect(ok('view_item', { items: [{ productId: 'C', id: 'U' }] }).event.items[0]?.id).toBe('C');
  });

  it('takes a top-level id as the product only in a Segment single-product event (as Segment v1 sends it)', () => {
    rejected('view_item', { id: 'T-1001', value: 10 }, 'missing_item_id');
    rejected('Order Completed', { id: 'O-1', total: 10 }, 'missing_item_id');
    expect(ok('Product Viewed', { id: 'page-9', product_id: 'P' }).event.items.map((i) => i.id)).toEqual(['P']);
    expect(ok('Viewed Product', { id: '507f1f77bcf86cd799439011', sku: '45790-32', name: 'Monopoly', price: 18.99 }).event.items).toEqual([{ id: '507f1f77bcf86cd799439011', priceBucket: priceBucket(18.99) }]);
    expect(ok('Product Added', { id: 'P-2', quantity: 1 }).event.items.map((i) => i.id)).toEqual(['P-2']);
  });

  it('reads a dataLayer-shaped payload given to track(): the ecommerce object, and a GA4 name over a UA payload', () => {
    const products = [{ id: 'P12345', name: 'Tee', price: '15.25', quantity: 1 }];
    expect(ok('view_item', { event: 'view_item', ecommerce: { items: [{ item_id: 'A' }] } }).event.items).toEqual([{ id: 'A' }]);
    expect(ok('view_item', { ecommerce: { detail: { actionField: { list: 'x' }, products } } }).event.items.map((i) => i.id)).toEqual(['P12345']);
    const p = ok('purchase', { purchase: { actionField: { id: 'T1', revenue: '35.43' }, products } }).event;
    expect([p.items.map((i) => i.id), p.value]).toEqual([['P12345'], priceBucket(35.43)]);
    expect(ok('view_item_list', { ecommerce: { currencyCode: 'EUR', impressions: [{ id: 'P1', position: 1 }] } }).event.items).toEqual([{ id: 'P1', index: 1 }]);
    // a UA action that does not go with the name is not read; the event is refused with why
    rejected('add_to_cart', { ecommerce: { detail: { products } } }, 'missing_item_id');
    // a payload that carries items keeps them
    expect(ok('view_item', { items: [{ item_id: 'B' }], ecommerce: { items: [{ item_id: 'C' }] } }).event.items).toEqual([{ id: 'B' }]);
  });

  it('reads items sent as an object keyed by index (a PHP array with gaps), in key order', () => {
    expect(ok('view_item_list', { items: { 0: { item_id: 'A' }, 3: { item_id: 'B' } } }).event.items.map((i) => i.id)).toEqual(['A', 'B']);
    rejected('view_item_list', { items: { 0: { item_id: 'A' }, length: 1 } }, 'invalid_type');
    rejected('view_item', { items: { first: { item_id: 'A' } } }, 'invalid_type');
  });
});
