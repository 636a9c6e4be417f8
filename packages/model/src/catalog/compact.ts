import type { VocabJson, AttrHash } from '../export/format.js';
import type { ModelDims, Weights } from '../spec.js';

/**
 * The model as a device receives it when only some items keep an id row (`idRowMask`): `item_emb` and
 * `item_bias` hold the padding row and the kept items' rows, in the trainer's row order, and the vocabulary
 * lists only those items (with their attribute rows, categories and counts). Every other item is scored from
 * its attributes as an unknown item: its id row is zero during training (`train`), which is exactly row 0 here.
 * With `attrHash` the attribute rows are hashed names (`hashAttributes`): the vocabulary carries the hash, not
 * the names, and a device computes any item's rows from its category and brand.
 */
export function compactModel(dims: ModelDims, w: Weights, vocab: VocabJson, keep: Uint8Array | null, attrHash?: AttrHash): { dims: ModelDims; weights: Weights; vocab: VocabJson } {
  const rows = [0];
  for (let i = 1; i <= dims.numItems; i++) if (!keep || keep[i]) rows.push(i);
  const d = dims.dim;
  const emb = new Float32Array(rows.length * d), bias = new Float32Array(rows.length);
  rows.forEach((i, r) => { if (r > 0) { emb.set(w.item_emb!.subarray(i * d, i * d + d), r * d); bias[r] = w.item_bias![i]!; } });
  const pick = <T>(xs: T[] | undefined): T[] | undefined => xs && rows.map((i) => xs[i]!);
  const out: VocabJson = {
    items: rows.map((i) => (i ? vocab.items[i]! : '')),
    attrs: attrHash ? [] : vocab.attrs,
    itemAttrs: rows.map((i) => (i ? vocab.itemAttrs[i] ?? [] : [])),
    categories: vocab.categories,
  };
  const cats = pick(vocab.itemCategory), counts = pick(vocab.itemCounts);
  if (cats) out.itemCategory = cats;
  if (counts) out.itemCounts = counts;
  if (attrHash) out.attrHash = attrHash;
  return { dims: { ...dims, numItems: rows.length - 1 }, weights: { ...w, item_emb: emb, item_bias: bias }, vocab: out };
}

/**
 * The inverse of `compactModel` for evaluation: the compact model's weights over the full catalogue of
 * `numItems` items, where an item `keep` leaves out gets row 0 (zero embedding, bias of the unknown item).
 */
export function expandRows(compact: Weights, keep: Uint8Array | null, numItems: number, dim: number): Weights {
  if (!keep) return compact;
  const emb = new Float32Array((numItems + 1) * dim), bias = new Float32Array(numItems + 1);
  for (let i = 1, r = 0; i <= numItems; i++) {
    if (!keep[i]) continue;
    r++;
    emb.set(compact.item_emb!.subarray(r * dim, r * dim + dim), i * dim);
    bias[i] = compact.item_bias![r]!;
  }
  return { ...compact, item_emb: emb, item_bias: bias };
}
