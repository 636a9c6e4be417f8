import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../shared/events/index.js';
import { snapshot } from './snapshot.js';

const outcome = (name: unknown, props: unknown) => {
  const r = validateEvent(name, props, 1);
  return r.ok ? { ok: true, event: r.event } : { ok: false, code: r.rejection.code };
};

describe('snapshot (page half of the event boundary)', () => {
  it('copies plain data so later mutation by the shop does not change the event', () => {
    const props = { items: [{ item_id: 'A', price: '12.50' }], item_list_id: 'home' };
    const s = snapshot(props) as typeof props;
    props.items[0]!.item_id = 'B';
    expect(s).toEqual({ items: [{ item_id: 'A', price: '12.50' }], item_list_id: 'home' });
  });

  it('never throws and is always structured-cloneable, whatever it is given', () => {
    const cyc: Record<string, unknown> = { item_id: 'c' };
    cyc.self = cyc;
    const hostile: unknown[] = [
      Symbol('s'), () => 1, 10n, NaN, cyc, new Date(), /re/, new Map([[1, 2]]), Object.create(null),
      new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw new Error('keys'); } }),
      Object.defineProperty({}, 'item_id', { get() { throw new Error('getter'); }, enumerable: true }),
      { items: [{ item_id: 'x', nested: { deep: { deeper: { deepest: 1 } } } }] },
    ];
    for (const h of hostile) {
      const s = snapshot(h);
      expect(() => structuredClone(s)).not.toThrow();
    }
  });

  it('drops unreadable and uncloneable values as false (a wrong type for every field)', () => {
    const o = Object.defineProperty({ a: 1 }, 'item_id', { get() { throw new Error('getter'); }, enumerable: true });
    expect(snapshot({ f: () => 1, s: Symbol('x'), o })).toEqual({ f: false, s: false, o: { a: 1, item_id: false } });
    expect(snapshot(new Proxy({}, { ownKeys() { throw new Error('keys'); } }))).toBe(false);
  });

  it('caps just above the boundary limits: oversized ids and lists stay refused, an over-wide object keeps its first and last keys', () => {
    const long = 'x'.repeat(100_000);
    expect((snapshot(long) as string).length).toBe(1_024);
    const items = Array.from({ length: 5_000 }, (_, i) => ({ item_id: `s${i}` }));
    expect((snapshot({ items }) as { items: unknown[] }).items).toHaveLength(201);
    expect(outcome('view_item', snapshot({ items }))).toEqual({ ok: false, code: 'too_many_items' });
    const wide = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(snapshot(wide) as object)).toHaveLength(257);
    // the boundary reads what it knows of an over-wide object and records that it was cut
    expect(outcome('view_item', snapshot({ ...wide, items: [{ item_id: 'a' }] }))).toMatchObject({ ok: true, event: { items: [{ id: 'a' }] } });
    expect(outcome('view_item', snapshot({ item_id: 'b', ...wide }))).toMatchObject({ ok: true, event: { items: [{ id: 'b' }] } });
    const integerKeys: Record<string, unknown> = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [String(i), 'x']));
    expect(Object.keys(snapshot({ ...integerKeys, item_id: 'c' }) as object)).toContain('item_id');
    expect(outcome('view_item', snapshot({ items: [{ item_id: long }] }))).toEqual({ ok: false, code: 'too_large' });
  });

  it('gives the same outcome as validating the original for ordinary GA4 and Segment events', () => {
    const cases: Array<[string, unknown]> = [
      ['view_item', { items: [{ item_id: 'SKU-1', item_category: 'Shoes', price: '49.90', quantity: 2, item_name: 'Red shoe' }] }],
      ['purchase', { items: [{ item_id: 1 }], value: 99.5, transaction_id: 'T1', email: 'a@b.c' }],
      ['Product Viewed', { product_id: 'P1', category: 'Hats', price: 10 }],
      ['view_item', { items: [{ item_id: 'user@example.com' }] }],
      ['view_item', {}],
      ['nope', {}],
      ['view_item', { items: 'x' }],
      ['search', undefined],
    ];
    for (const [n, p] of cases) expect(outcome(n, snapshot(p))).toEqual(outcome(n, p));
  });
});
