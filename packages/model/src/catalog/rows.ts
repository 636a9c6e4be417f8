import type { Dataset } from '../data/types.js';
import type { AttrHash } from '../export/format.js';
import { bucketOf } from './hash.js';

/**
 * The seed of the attribute hash: part of the representation (a model's attribute rows are only meaningful
 * under the seed it was trained with), so it is fixed rather than drawn from a run's seed.
 */
export const ATTR_HASH_SEED = 0x5045_5243; // 'PERC'

/** How `hashAttributes` maps names to `buckets` rows, as a model's vocabulary states it (`vocab.attrHash`). */
export const attrHashOf = (buckets: number, seed = ATTR_HASH_SEED): AttrHash => ({ scheme: 'murmur3-x86-32', seed, buckets });

/**
 * The dataset with its attribute vocabulary replaced by `buckets` hashed rows: attribute name a becomes row
 * `bucketOf(a, buckets)`, so a device computes an item's attribute rows from the item's own fields with no
 * vocabulary to download, and the table's size does not grow with the number of distinct categories or
 * brands. Names that collide share a row; an item that lists two names of one row keeps the row once.
 */
export function hashAttributes(ds: Dataset, buckets: number, seed = ATTR_HASH_SEED): Dataset {
  if (!Number.isInteger(buckets) || buckets < 1) throw new Error(`hashAttributes: buckets must be a positive integer, got ${buckets}`);
  const rowOf = new Int32Array(ds.attrVocab.length);
  for (let a = 1; a < ds.attrVocab.length; a++) rowOf[a] = bucketOf(ds.attrVocab[a]!, buckets, seed);
  const n = ds.attrOffsets.length - 1;
  const offsets = new Int32Array(n + 1), ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = ids.length;
    for (let p = ds.attrOffsets[i]!; p < ds.attrOffsets[i + 1]!; p++) {
      const r = rowOf[ds.attrIds[p]!]!;
      if (!ids.includes(r, start)) ids.push(r);
    }
    offsets[i + 1] = ids.length;
  }
  const attrVocab = [''];
  for (let b = 1; b <= buckets; b++) attrVocab.push(`#${b}`);
  return { ...ds, attrVocab, attrOffsets: offsets, attrIds: Int32Array.from(ids) };
}

/**
 * Which items keep an id row (a row of `item_emb` and `item_bias` of their own): at most `maxRows` of them,
 * the most frequent first (ties: the lower row), each with at least `minCount` training occurrences. Every
 * other item is represented by its attributes alone, as an item new to the catalogue is. Returns null when
 * every item keeps its row (the full table: `maxRows` 0 or at least the catalogue, and `minCount` 0).
 */
export function idRowMask(counts: ArrayLike<number>, maxRows: number, minCount: number): Uint8Array | null {
  if (maxRows <= 0 && minCount <= 0) return null;
  const n = counts.length - 1;
  const order: number[] = [];
  for (let i = 1; i <= n; i++) if (counts[i]! >= minCount) order.push(i);
  order.sort((a, b) => counts[b]! - counts[a]! || a - b);
  const k = maxRows > 0 ? Math.min(maxRows, order.length) : order.length;
  if (k === n) return null;
  const keep = new Uint8Array(n + 1);
  for (let r = 0; r < k; r++) keep[order[r]!] = 1;
  return keep;
}
