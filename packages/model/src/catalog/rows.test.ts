import { describe, expect, it } from 'vitest';
import type { Dataset } from '../data/types.js';
import { emptyStats } from '../data/types.js';
import { bucketOf } from './hash.js';
import { ATTR_HASH_SEED, hashAttributes, idRowMask } from './rows.js';

const dataset = (attrVocab: string[], itemAttrs: number[][]): Dataset => {
  const offsets = new Int32Array(itemAttrs.length + 1);
  itemAttrs.forEach((a, i) => { offsets[i + 1] = offsets[i]! + a.length; });
  return {
    name: 't', vocab: itemAttrs.map((_, i) => (i ? `i${i}` : '')), attrVocab, attrOffsets: offsets, attrIds: Int32Array.from(itemAttrs.flat()),
    categories: ['unknown'], itemCategory: new Int32Array(itemAttrs.length), typedEvents: false, sequences: [], stats: emptyStats(),
  };
};

describe('hashAttributes', () => {
  it('maps every attribute name to its hashed row and keeps items, sequences and order', () => {
    const ds = dataset(['', 'cat:shoes', 'brand:acme', 'price:3'], [[], [1, 2], [3], []]);
    const h = hashAttributes(ds, 1000);
    expect(h.attrVocab).toHaveLength(1001);
    expect(h.vocab).toBe(ds.vocab);
    const rows = (i: number): number[] => [...h.attrIds.subarray(h.attrOffsets[i]!, h.attrOffsets[i + 1]!)];
    expect(rows(0)).toEqual([]);
    expect(rows(1)).toEqual([bucketOf('cat:shoes', 1000, ATTR_HASH_SEED), bucketOf('brand:acme', 1000, ATTR_HASH_SEED)]);
    expect(rows(2)).toEqual([bucketOf('price:3', 1000, ATTR_HASH_SEED)]);
    expect(rows(3)).toEqual([]);
  });

  it('keeps a row once when two names of one item collide', () => {
    const ds = dataset(['', 'a', 'b', 'c'], [[], [1, 2, 3]]);
    const h = hashAttributes(ds, 1);
    expect([...h.attrIds]).toEqual([1]);
    expect([...h.attrOffsets]).toEqual([0, 0, 1]);
  });

  it('refuses a table without rows', () => {
    expect(() => hashAttributes(dataset([''], [[]]), 0)).toThrow(/positive integer/);
  });
});

describe('idRowMask', () => {
  it('is null for the full table', () => {
    expect(idRowMask([0, 5, 0, 2], 0, 0)).toBeNull();
    expect(idRowMask([0, 5, 0, 2], 3, 0)).toBeNull(); // a cap the catalogue does not reach
    expect(idRowMask([0, 5, 0, 2], 2, 0)).not.toBeNull();
  });

  it('keeps items with at least minCount occurrences', () => {
    expect([...idRowMask([0, 5, 0, 2, 1], 0, 2)!]).toEqual([0, 1, 0, 1, 0]);
  });

  it('keeps the maxRows most frequent, the lower row first on ties', () => {
    expect([...idRowMask([0, 3, 7, 3, 1, 9], 3, 0)!]).toEqual([0, 1, 1, 0, 0, 1]);
    expect([...idRowMask([0, 3, 7, 3, 1, 9], 3, 4)!]).toEqual([0, 0, 1, 0, 0, 1]);
  });
});
