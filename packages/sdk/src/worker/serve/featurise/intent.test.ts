import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, GAP_BUCKETS_S, MAX_ITEMS_PER_EVENT } from '@perch/model/spec';
import type { VocabJson } from '@perch/model/export';
import { bucketOf } from '@perch/model/catalog';
import { EventMapper } from './events.js';
import { buildProfile } from './profile.js';

const vocab: VocabJson = { items: ['', 'A', 'B'], attrs: ['', 'Shoes', 'Acme'], itemAttrs: [[], [1], [2]], categories: ['unknown'] };

describe('EventMapper', () => {
  const m = new EventMapper(vocab);
  it('maps known ids to rows, unknown ones to their known attributes, and nothing known to null', () => {
    expect(m.candidate({ id: 'B' })).toBe(2);
    expect(m.candidate({ id: 'Z', category: 'Shoes', brand: 'Acme' })).toEqual({ attrs: [1, 2] });
    expect(m.candidate({ id: 'Z', category: 'Hats' })).toBeNull();
  });
  it('finds the attribute names of models trained on event logs or exports (cat:… / brand:…)', () => {
    const logModel = new EventMapper({ items: ['', 'A'], attrs: ['', 'cat:Shoes', 'brand:Acme'], itemAttrs: [[], [1]], categories: ['unknown'] });
    expect(logModel.candidate({ id: 'Z', category: 'Shoes', brand: 'Acme' })).toEqual({ attrs: [1, 2] });
    expect(logModel.candidate({ id: 'Z', category: 'Acme' })).toBeNull(); // a brand name is not a category
  });
  it('hashes any category and brand of a model with hashed attribute rows (a catalogue of any size)', () => {
    const attrHash = { scheme: 'murmur3-x86-32' as const, seed: 9, buckets: 4096 };
    const hashed = new EventMapper({ items: ['', 'A'], attrs: [], itemAttrs: [[], [5]], categories: ['unknown'], attrHash });
    const cat = bucketOf('cat:Shoes', 4096, 9), brand = bucketOf('brand:Acme', 4096, 9);
    expect(hashed.candidate({ id: 'A', category: 'Hats' })).toBe(1); // an item with an id row keeps it
    expect(hashed.candidate({ id: 'never-seen', category: 'Shoes', brand: 'Acme' })).toEqual({ attrs: [cat, brand] });
    expect(hashed.candidate({ id: 'never-seen', brand: 'Acme' })).toEqual({ attrs: [brand] });
    expect(cat).not.toBe(bucketOf('brand:Shoes', 4096, 9)); // the field is part of the name
    expect(hashed.candidate({ id: 'never-seen' })).toBeNull(); // nothing known: neutral score, shop's order
    const steps = hashed.toModel({ v: 1, type: 'view_item', ts: 1, items: [{ id: 'new', category: 'Shoes' }] }, null);
    expect(steps[0]).toMatchObject({ item: 0, attrs: [cat] });
  });
  it('turns a stored event into at most MAX_ITEMS_PER_EVENT steps with kind and time-gap bucket', () => {
    const items = Array.from({ length: 10 }, () => ({ id: 'A' }));
    const evs = m.toModel({ v: 1, type: 'add_to_cart', ts: 65_000, items }, 0);
    expect(evs).toHaveLength(MAX_ITEMS_PER_EVENT);
    expect(evs[0]).toEqual({ item: 1, kind: EVENT_KINDS.indexOf('cart'), gap: GAP_BUCKETS_S.findIndex((b) => 65 <= b) });
    expect(evs[1]!.gap).toBe(0);
    expect(m.toModel({ v: 1, type: 'view_item', ts: 1, items: [{ id: 'A' }] }, null)[0]!.gap).toBe(GAP_BUCKETS_S.length - 1);
    expect(m.toModel({ v: 1, type: 'view_item_list', ts: 1, items: [{ id: 'A' }] }, null)).toEqual([]);
  });
});

describe('buildProfile', () => {
  it('weights categories and brands by action strength and recency; recent ids newest first', () => {
    const p = buildProfile([
      { type: 'view_item', id: 'h1', category: 'Hats', ts: 1 },
      { type: 'add_to_cart', id: 's1', category: 'Shoes', brand: 'Acme', ts: 2 },
      { type: 'view_item', id: 's2', category: 'Shoes', ts: 3 },
    ], 0.3);
    expect(p.purchaseIntent).toBe(0.3);
    expect(p.categories.map((c) => c.id)).toEqual(['Shoes', 'Hats']);
    expect(p.categories.reduce((a, c) => a + c.weight, 0)).toBeCloseTo(1, 2);
    expect(p.brands).toEqual([{ id: 'Acme', weight: 1 }]);
    expect(p.recent).toEqual(['s2', 's1', 'h1']);
    expect(buildProfile([], null)).toEqual({ purchaseIntent: null, categories: [], brands: [], recent: [] });
  });
});
