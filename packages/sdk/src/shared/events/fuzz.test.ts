import { describe, expect, it } from 'vitest';
import type { EventType, RejectCode } from '../../types.js';
import { piiReason } from './fields.js';
import { MAX_ITEMS, NEEDS_ITEMS, SEGMENT_EVENTS, storedEventProblem, validateEvent, type ValidationResult } from './index.js';
import { Rng } from '@perch/model/rng';

const NOW = 1_700_000_000_000;
const TYPES = new Set(Object.keys(NEEDS_ITEMS));
const CODES = new Set<RejectCode>(['unknown_event', 'invalid_props', 'missing_item_id', 'invalid_item', 'too_many_items', 'invalid_type', 'too_large', 'not_behaviour']);
const EVENT_FIELDS = new Set(['v', 'type', 'ts', 'items', 'list', 'dwellMs', 'attribution', 'value']);
const ITEM_FIELDS = new Set(['id', 'list', 'index', 'category', 'brand', 'priceBucket', 'quantity']);

const isInt = (n: unknown, lo: number, hi: number): boolean => typeof n === 'number' && Number.isInteger(n) && n >= lo && n <= hi;
const isShort = (s: unknown, max: number): boolean =>
  typeof s === 'string' && s.length > 0 && s.length <= max && s === s.trim() && piiReason(s) === null;

/** Every invariant a result must satisfy; returns the first broken one, or null. */
function broken(r: ValidationResult): string | null {
  if (!r.ok) {
    const j = r.rejection;
    if (!CODES.has(j.code)) return `code ${j.code}`;
    if (typeof j.reason !== 'string' || j.reason.length === 0) return 'empty reason';
    if (j.ts !== NOW) return 'rejection ts';
    if (j.event !== undefined && (typeof j.event !== 'string' || j.event.length > 65)) return 'rejection event';
    // Rejections are kept in the audit log: the generator's email must never be echoed there.
    if (j.reason.includes('jane@example.com') || j.event?.includes('jane@example.com')) return 'PII in rejection';
    return null;
  }
  const e = r.event;
  for (const k of Object.keys(e)) if (!EVENT_FIELDS.has(k)) return `event field ${k}`;
  if (e.v !== 1 || !TYPES.has(e.type) || e.ts !== NOW) return 'header';
  if (!Array.isArray(e.items) || e.items.length > MAX_ITEMS) return 'items';
  if (NEEDS_ITEMS[e.type as EventType] && e.items.length === 0) return 'needs items';
  if (e.list !== undefined && !isShort(e.list, 64)) return 'list';
  if (e.value !== undefined && !isInt(e.value, 0, 63)) return 'value';
  if (e.dwellMs !== undefined && !isInt(e.dwellMs, 0, 86_400_000)) return 'dwell';
  if (e.attribution !== undefined && !isShort(e.attribution, 64)) return 'attribution';
  for (const it of e.items) {
    if (typeof it !== 'object' || it === null || Object.getPrototypeOf(it) !== Object.prototype) return 'item shape';
    for (const k of Object.keys(it)) if (!ITEM_FIELDS.has(k)) return `item field ${k}`;
    if (!isShort(it.id, 128)) return `id ${String(it.id).slice(0, 40)}`;
    if (it.list !== undefined && !isShort(it.list, 64)) return 'item list';
    if (it.category !== undefined && !isShort(it.category, 64)) return 'category';
    if (it.brand !== undefined && !isShort(it.brand, 64)) return 'brand';
    if (it.priceBucket !== undefined && !isInt(it.priceBucket, 0, 63)) return 'priceBucket';
    if (it.index !== undefined && !isInt(it.index, 0, 1_000_000)) return 'index';
    if (it.quantity !== undefined && !isInt(it.quantity, 0, 1_000_000)) return 'quantity';
  }
  if (!Array.isArray(r.dropped) || r.dropped.length > 32 || r.dropped.some((d) => typeof d !== 'string')) return 'dropped';
  // Dropped fields are counted in the audit with their reasons: bounded, coded, never echoing a value.
  if (!Array.isArray(r.issues) || r.issues.length > 32) return 'issues';
  for (const d of r.issues) {
    if (!CODES.has(d.code) || typeof d.field !== 'string' || d.field.length > 80 || typeof d.reason !== 'string' || d.reason.length === 0) return 'issue shape';
    if (d.reason.includes('jane@example.com') || d.reason.includes('https://x.y/p')) return 'PII in dropped-field reason';
  }
  // Storable as is (IndexedDB uses the structured clone algorithm), and the worker-side check agrees.
  const clone = structuredClone(e);
  const p = storedEventProblem(clone);
  if (p !== null) return `storedEventProblem: ${p}`;
  return null;
}

/** The repository's seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

const KEYS = ['item_id', 'product_id', 'sku', 'items', 'products', 'price', 'quantity', 'index', 'position', 'item_category',
  'item_category5', 'category', 'item_brand', 'brand', 'item_list_id', 'list_id', 'value', 'revenue', 'total', 'dwell_ms',
  'engagement_time_msec', 'attribution', 'item_name', 'url', 'email', '__proto__', 'constructor', 'prototype', 'toString',
  'valueOf', 'x'.repeat(200)];
const NAMES = [...TYPES, ...SEGMENT_EVENTS.map(([n]) => n), 'Order Refunded', 'page_view', '', '__proto__', 'constructor', 'jane@example.com',
  'VIEW_ITEM', ' view_item ', 'x'.repeat(5000)];

// Big hostile values are built once and shared: allocating them per payload makes the generator, not
// the code under test, the slow part.
const HUGE = 'q'.repeat(2_000_000);
const HOLES_201 = new Array(201);
const HOLES_1M = new Array(1_000_000);

function fuzzer(seed: number) {
  const r = rng(seed);
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(r() * a.length)] as T;
  const str = (): string => pick([
    () => pick(['A1', ' SKU-9 ', '', '   ', 'tee@2x', 'jane@example.com', 'https://x.y/p', 'www.shop.com', '12.50', 'NaN',
      'Infinity', '-3', '1e3', '0x1f', '\u0000', '\ud800', '😀'.repeat(40)]),
    () => 'z'.repeat(Math.floor(r() * 300)),
    () => String.fromCharCode(...Array.from({ length: Math.floor(r() * 20) }, () => Math.floor(r() * 0xffff))),
    () => HUGE,
  ])();
  const prim = (): unknown => pick([
    str, () => r() * 1e4 - 100, () => Math.floor(r() * 300), () => pick([NaN, Infinity, -Infinity, -0, 1e308, Number.MAX_SAFE_INTEGER]),
    () => BigInt(Math.floor(r() * 1e6)), () => Symbol('s'), () => () => 1, () => null, () => undefined, () => r() < 0.5,
  ])();
  const hostile = (inner: () => unknown): unknown => pick([
    () => new Proxy({}, { get() { throw new Error('trap'); } }),
    () => new Proxy({ item_id: 'A' }, { ownKeys() { throw new Error('keys'); } }),
    () => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; },
    () => Object.defineProperty({}, pick(KEYS), { enumerable: true, get() { throw new Error('getter'); } }),
    () => { const o: Record<string, unknown> = { item_id: 'C' }; o.items = [o]; o.products = o; return o; },
    () => JSON.parse('{"__proto__":{"polluted":1},"item_id":"P","constructor":{"prototype":{"polluted":2}}}'),
    () => Object.assign(Object.create(null), { item_id: inner() }),
    () => ({ nodeType: 1, nodeName: 'DIV', ownerDocument: {}, get items() { return inner(); }, [Symbol('k')]: 1 }),
    () => Object.freeze({ item_id: inner(), price: inner() }),
    () => (r() < 0.5 ? HOLES_201 : HOLES_1M),
    () => new Proxy([], { get(t, k) { if (k === 'length') return 5; return Reflect.get(t, k); } }),
  ])();
  const value = (depth: number): unknown => {
    const x = r();
    if (depth > 2 || x < 0.45) return prim();
    if (x < 0.55) return hostile(() => value(depth + 1));
    // Long arrays only at the items level, so nested arrays cannot multiply into millions of objects.
    if (x < 0.75) return Array.from({ length: Math.floor(r() * (depth === 0 && r() < 0.05 ? 250 : 3)) }, () => obj(depth + 1));
    return obj(depth + 1);
  };
  const obj = (depth: number): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    const n = Math.floor(r() * 6);
    for (let i = 0; i < n; i++) Object.defineProperty(o, pick(KEYS), { value: value(depth), enumerable: true, configurable: true, writable: true });
    if (r() < 0.6) o.item_id = r() < 0.7 ? `I${Math.floor(r() * 100)}` : prim();
    return o;
  };
  return { name: (): unknown => (r() < 0.9 ? pick(NAMES) : prim()), props: (): unknown => (r() < 0.9 ? obj(0) : value(0)) };
}

describe('hostile input fuzz', () => {
  it('12,000 seeded random payloads: never throws, every result meets the invariants', () => {
    const f = fuzzer(0x5eed);
    let accepted = 0;
    for (let i = 0; i < 12_000; i++) {
      const name = f.name();
      const props = f.props();
      const res = validateEvent(name, props, NOW);
      const b = broken(res);
      if (b !== null) throw new Error(`payload #${i}: ${b}`);
      if (res.ok) accepted++;
    }
    // The generator must exercise both paths, or the fuzz proves nothing.
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(11_500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});

describe('hostile input, case by case', () => {
  const codeOf = (name: unknown, props: unknown): string => {
    const r = validateEvent(name, props, NOW);
    return r.ok ? 'ok' : r.rejection.code;
  };

  it('throwing getters and Proxy traps become invalid_props', () => {
    expect(codeOf('view_item', { get items() { throw new Error('boom'); } })).toBe('invalid_props');
    expect(codeOf('view_item', new Proxy({}, { get() { throw new Error('trap'); } }))).toBe('invalid_props');
    expect(codeOf('view_item', { items: [{ get item_id() { throw new Error('x'); } }] })).toBe('invalid_props');
    const p = Proxy.revocable({}, {});
    p.revoke();
    expect(codeOf('view_item', p.proxy)).toBe('invalid_props');
  });

  it('cyclic objects terminate', () => {
    const o: Record<string, unknown> = { item_id: 'A' };
    o.self = o;
    o.items = [o];
    const r = validateEvent('view_item', o, NOW);
    expect(r.ok && r.event.items).toEqual([{ id: 'A' }]);
  });

  it('__proto__ and constructor keys never pollute prototypes', () => {
    const props = JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"items":[{"item_id":"A","__proto__":{"polluted":3}}]}');
    const r = validateEvent('view_item', props, NOW);
    expect(r.ok && r.dropped.sort()).toEqual(['__proto__', 'constructor', 'items[].__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(r.ok && Object.getPrototypeOf(r.event.items[0])).toBe(Object.prototype);
  });

  it('huge arrays and strings are refused without being scanned', () => {
    // Count element reads: a refused oversize array must be judged on its length alone.
    let reads = 0;
    const items = new Proxy(new Array(10_000_000), {
      get(t, k) {
        if (k !== 'length' && typeof k === 'string') reads++;
        return Reflect.get(t, k);
      },
    });
    expect(codeOf('view_item_list', { items })).toBe('too_many_items');
    expect(reads).toBe(0);
    expect(codeOf('view_item', { items: [{ item_id: 'a'.repeat(50_000_000) }] })).toBe('too_large');
    // An optional field that is too large is dropped, the event kept, and the drop recorded with its code.
    const r = validateEvent('view_item', { items: [{ item_id: 'A', price: ' '.repeat(10_000_000) }] }, NOW);
    expect(r.ok && r.event.items).toEqual([{ id: 'A' }]);
    expect(r.ok && r.issues.map((i) => [i.field, i.code])).toEqual([['items[].price', 'too_large']]);
  });

  it('symbols, BigInt and functions are typed out', () => {
    expect(codeOf('view_item', { items: [{ item_id: 1n }] })).toBe('invalid_type');
    const q = validateEvent('view_item', { items: [{ item_id: 'A', quantity: Symbol('q') }] }, NOW);
    expect(q.ok && [q.event.items, q.issues.map((i) => [i.field, i.code])]).toEqual([[{ id: 'A' }], [['items[].quantity', 'invalid_type']]]);
    expect(codeOf('view_item', { items: [() => 'A'] })).toBe('invalid_item');
    expect(codeOf(Symbol('view_item'), {})).toBe('unknown_event');
    expect(codeOf('view_item', { [Symbol('items')]: [{ item_id: 'A' }], item_id: 'B' })).toBe('ok');
  });

  it('DOM-like objects are read only through the allow-list', () => {
    class FakeElement {
      nodeType = 1;
      get ownerDocument(): never { throw new Error('detached'); }
      get dataset() { return { item_id: 'hidden' }; }
    }
    expect(codeOf('view_search_results', new FakeElement())).toBe('ok');
    expect(codeOf('view_item', new FakeElement())).toBe('missing_item_id');
  });
});
