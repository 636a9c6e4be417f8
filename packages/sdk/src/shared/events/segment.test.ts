import { describe, expect, it } from 'vitest';
import { SEGMENT_EVENTS, SEGMENT_UNSUPPORTED_EVENTS, priceBucket, validateEvent, type PerchEvent } from './index.js';

const NOW = 1_700_000_000_000;

function ok(name: string, props: unknown): PerchEvent {
  const r = validateEvent(name, props, NOW);
  if (!r.ok) throw new Error(`${name}: ${r.rejection.code}: ${r.rejection.reason}`);
  expect(r.dropped).toEqual([]);
  return r.event;
}

// Property shapes as the Segment e-commerce v2 spec documents them.
const monopoly = {
  product_id: '507f1f77bcf86cd799439011',
  sku: 'G-32',
  category: 'Games',
  name: 'Monopoly: 3rd Edition',
  brand: 'Hasbro',
  variant: '200 pieces',
  price: 18.99,
  quantity: 1,
  coupon: 'MAYDEALS',
  position: 3,
  url: 'https://www.example.com/product/path',
  image_url: 'https://www.example.com/product/path.jpg',
};
const stored = { id: '507f1f77bcf86cd799439011', category: 'Games', brand: 'Hasbro', priceBucket: priceBucket(18.99), quantity: 1, index: 3 };
const products = [monopoly, { product_id: '505bd76785ebb509fc183733', sku: '46493-32', name: 'Uno', price: 3, position: 2, category: 'Games' }];
const storedList = [stored, { id: '505bd76785ebb509fc183733', priceBucket: priceBucket(3), index: 2, category: 'Games' }];

describe('Segment e-commerce v2 mapping', () => {
  it('Products Searched → search, the query is not stored', () => {
    expect(ok('Products Searched', { query: 'blue roses' })).toEqual({ v: 1, type: 'search', ts: NOW, items: [] });
  });

  it.each(['Product List Viewed', 'Viewed Product Category'])('%s → view_item_list with products[] and list_id', (name) => {
    expect(ok(name, { list_id: 'hot_deals_1', category: 'Deals', products })).toEqual({
      v: 1, type: 'view_item_list', ts: NOW, list: 'hot_deals_1', items: storedList,
    });
  });

  it('Product List Filtered → view_item_list, filters and sorts dropped', () => {
    const ev = ok('Product List Filtered', {
      list_id: 'todays_deals',
      filters: [{ type: 'department', value: 'beauty' }],
      sorts: [{ type: 'price', value: 'desc' }],
      products,
    });
    expect(ev).toEqual({ v: 1, type: 'view_item_list', ts: NOW, list: 'todays_deals', items: storedList });
  });

  it.each([
    ['Product Clicked', 'select_item'],
    ['Clicked Product', 'select_item'],
    ['Product Viewed', 'view_item'],
    ['Viewed Product', 'view_item'],
    ['Product Added', 'add_to_cart'],
    ['Added Product', 'add_to_cart'],
    ['Product Removed', 'remove_from_cart'],
    ['Removed Product', 'remove_from_cart'],
  ] as const)('%s (single top-level product) → %s', (name, type) => {
    expect(ok(name, { cart_id: 'skdjsidjsdkdj29j', ...monopoly })).toEqual({ v: 1, type, ts: NOW, items: [stored] });
  });

  it('Product Added to Wishlist → add_to_wishlist, wishlist name not stored', () => {
    const ev = ok('Product Added to Wishlist', { wishlist_id: 'w1', wishlist_name: "Jane's list", ...monopoly });
    expect(ev).toEqual({ v: 1, type: 'add_to_wishlist', ts: NOW, items: [stored] });
  });

  it('Wishlist Product Added to Cart → add_to_cart', () => {
    expect(ok('Wishlist Product Added to Cart', { wishlist_id: 'w1', cart_id: 'c1', ...monopoly }).type).toBe('add_to_cart');
  });

  it.each(['Cart Viewed', 'Viewed Cart'])('%s → view_cart; an empty cart is refused with why', (name) => {
    expect(ok(name, { cart_id: 'c1', products }).items).toEqual(storedList);
    const r = validateEvent(name, { cart_id: 'c1' }, NOW);
    expect(!r.ok && [r.rejection.code, r.rejection.reason]).toEqual(['missing_item_id', expect.stringContaining('empty cart')]);
  });

  it.each(['Checkout Started', 'Started Checkout'])('%s → begin_checkout, value from revenue', (name) => {
    expect(ok(name, { order_id: 'o1', value: 30, revenue: 25, currency: 'USD', products })).toMatchObject({
      type: 'begin_checkout', value: priceBucket(30), items: storedList,
    });
    expect(ok(name, { order_id: 'o1', revenue: '25.00', products }).value).toBe(priceBucket(25));
  });

  it.each(['Order Completed', 'Completed Order'])('%s → purchase, value from revenue then total', (name) => {
    const order = {
      checkout_id: 'fksdjfsdjfisjf9sdfjsd9f', order_id: '50314b8e9bcf000000000000', affiliation: 'Google Store',
      total: 27.5, subtotal: 22.5, revenue: 25, shipping: 3, tax: 2, discount: 2.5, coupon: 'hasbros', currency: 'USD', products,
    };
    const ev = ok(name, order);
    expect(ev).toEqual({ v: 1, type: 'purchase', ts: NOW, value: priceBucket(25), items: storedList });
    expect(ok(name, { ...order, revenue: undefined }).value).toBe(priceBucket(27.5));
    expect(JSON.stringify(ev)).not.toContain('50314b8e9bcf000000000000');
  });

  it('uses sku when product_id is absent, product_id when both are present', () => {
    expect(ok('Product Viewed', { sku: 'G-32' }).items[0]?.id).toBe('G-32');
    expect(ok('Product Viewed', { product_id: 'P', sku: 'G-32' }).items[0]?.id).toBe('P');
  });

  it('every accepted Segment name maps to its documented type', () => {
    for (const [name, type] of SEGMENT_EVENTS) {
      const r = validateEvent(name, { product_id: 'P1' }, NOW);
      expect(r.ok && r.event.type, name).toBe(type);
    }
  });

  it('unsupported Segment events are refused with a specific reason', () => {
    for (const name of SEGMENT_UNSUPPORTED_EVENTS) {
      const r = validateEvent(name, { product_id: 'P1' }, NOW);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.rejection.code).toBe('not_behaviour');
        expect(r.rejection.reason).toContain('no GA4');
      }
    }
  });

  it('a Segment product without product_id or sku is refused', () => {
    const r = validateEvent('Product List Viewed', { products: [{ name: 'Uno', price: 3 }] }, NOW);
    expect(!r.ok && r.rejection.code).toBe('missing_item_id');
    const single = validateEvent('Product Viewed', { name: 'Uno' }, NOW);
    expect(!single.ok && single.rejection.code).toBe('missing_item_id');
  });
});
