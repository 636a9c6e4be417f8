import { describe, expect, it } from 'vitest';
import { storedEventProblem, validateEvent, type PerchEvent } from './index.js';

function valid(): PerchEvent {
  const r = validateEvent('purchase', {
    value: 25, item_list_id: 'home', dwell_ms: 1200, attribution: 'perch:r1',
    items: [{ item_id: 'A', item_list_id: 'home', index: 1, item_category: 'c', item_brand: 'b', price: 9.99, quantity: 2 }],
  }, 1_700_000_000_000);
  if (!r.ok) throw new Error(r.rejection.reason);
  return r.event;
}

describe('storedEventProblem', () => {
  it('accepts what validateEvent produces, also after a structured clone', () => {
    expect(storedEventProblem(valid())).toBeNull();
    expect(storedEventProblem(structuredClone(valid()))).toBeNull();
    const r = validateEvent('search', {}, 1);
    expect(r.ok && storedEventProblem(r.event)).toBeNull();
  });

  const mutations: Array<[string, (e: Record<string, unknown> & { items: Record<string, unknown>[] }) => unknown]> = [
    ['an extra event field', (e) => ({ ...e, user_id: 'u1' })],
    ['an extra item field', (e) => { e.items[0]!.name = 'Tee'; return e; }],
    ['an email id', (e) => { e.items[0]!.id = 'jane@example.com'; return e; }],
    ['an untrimmed id', (e) => { e.items[0]!.id = ' A'; return e; }],
    ['an over-long brand', (e) => { e.items[0]!.brand = 'b'.repeat(65); return e; }],
    ['a raw price', (e) => { e.items[0]!.priceBucket = 9.99; return e; }],
    ['a negative quantity', (e) => { e.items[0]!.quantity = -1; return e; }],
    ['an unknown type', (e) => ({ ...e, type: 'page_view' })],
    ['a purchase without items', (e) => ({ ...e, items: [] })],
    ['version 2', (e) => ({ ...e, v: 2 })],
    ['a NaN timestamp', (e) => ({ ...e, ts: Number.NaN })],
    ['a URL list', (e) => ({ ...e, list: 'https://x.y' })],
    ['a raw value', (e) => ({ ...e, value: 25.5 })],
    ['a class instance', (e) => Object.assign(new (class Ev {})(), e)],
    ['a throwing Proxy', () => new Proxy({}, { getPrototypeOf() { throw new Error('trap'); } })],
    ['201 items', (e) => ({ ...e, items: Array.from({ length: 201 }, () => ({ id: 'A' })) })],
  ];

  it.each(mutations)('refuses %s', (_label, mutate) => {
    const problem = storedEventProblem(mutate(valid() as never));
    expect(typeof problem).toBe('string');
    expect(problem!.length).toBeGreaterThan(0);
  });
});
