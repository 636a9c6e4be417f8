import { describe, expect, it } from 'vitest';
import { buildExport, type ExportFiles } from '../export/writer.js';
import { FormatError, loadExport } from '../export/loader.js';
import type { VocabJson } from '../export/format.js';
import { PlainModel } from '../plain/model.js';
import type { ModelDims } from '../spec.js';
import { randomItemAttrs, randomWeights } from '../testing/reference.js';
import { compactModel, expandRows } from './compact.js';
import { idRowMask } from './rows.js';

const dims: ModelDims = { numItems: 50, numAttrs: 12, numCategories: 3, dim: 8, hidden: 6 };
const itemAttrs = randomItemAttrs(dims, 3);
const vocab: VocabJson = {
  items: ['', ...Array.from({ length: dims.numItems }, (_, i) => `sku-${i + 1}`)],
  attrs: ['', ...Array.from({ length: dims.numAttrs }, (_, i) => `a${i + 1}`)],
  itemAttrs, categories: ['unknown', 'x', 'y'],
  itemCategory: Array.from({ length: dims.numItems + 1 }, (_, i) => i % 3),
  itemCounts: Array.from({ length: dims.numItems + 1 }, (_, i) => (i ? i % 7 : 0)),
};
const csr = (attrs: number[][]) => {
  const attrOffsets = new Int32Array(attrs.length + 1);
  attrs.forEach((a, i) => { attrOffsets[i + 1] = attrOffsets[i]! + a.length; });
  return { attrOffsets, attrIds: Int32Array.from(attrs.flat()) };
};
const reader = (files: ExportFiles) => async (p: string) => files.get(p)!;
const hash = { scheme: 'murmur3-x86-32' as const, seed: 7, buckets: dims.numAttrs };

describe('compactModel / expandRows', () => {
  // as train() leaves them: the items without an id row have zero rows
  const keep = idRowMask(vocab.itemCounts!, 0, 3)!;
  const w = randomWeights(dims, 5);
  for (let i = 0; i <= dims.numItems; i++) if (!keep[i]) { w.item_emb!.fill(0, i * dims.dim, (i + 1) * dims.dim); w.item_bias![i] = 0; }

  it('ships only the kept items, in row order, with their attributes, categories and counts', () => {
    const c = compactModel(dims, w, vocab, keep, hash);
    const kept = vocab.items.filter((_, i) => keep[i]);
    expect(c.dims.numItems).toBe(kept.length);
    expect(c.vocab.items).toEqual(['', ...kept]);
    expect(c.vocab.itemAttrs).toEqual([[], ...itemAttrs.filter((_, i) => keep[i])]);
    expect(c.vocab.itemCounts).toEqual([0, ...vocab.itemCounts!.filter((_, i) => keep[i])]);
    expect(c.vocab.itemCategory).toEqual([0, ...vocab.itemCategory!.filter((_, i) => keep[i])]);
    expect(c.vocab.attrs).toEqual([]);
    expect(c.vocab.attrHash).toEqual(hash);
    expect(c.weights.item_emb!.length).toBe((kept.length + 1) * dims.dim);
    expect(c.weights.gru_wx).toBe(w.gru_wx);
  });

  it('scores every item as the full model does once expanded back', () => {
    const c = compactModel(dims, w, vocab, keep);
    const full = new PlainModel(dims, w, csr(itemAttrs));
    const back = new PlainModel(dims, expandRows(c.weights, keep, dims.numItems, dims.dim), csr(itemAttrs));
    const h = full.step(full.initialState(), { item: 4, kind: 0, gap: 2 });
    const all = Array.from({ length: dims.numItems }, (_, i) => i + 1);
    const s1 = full.score(h, all).slice(), s2 = back.score(h, all);
    expect(Array.from(s2)).toEqual(Array.from(s1));
  });

  it('an item without an id row scores as an unknown item with its attributes', () => {
    const c = compactModel(dims, w, vocab, keep);
    const device = new PlainModel(c.dims, c.weights, csr(c.vocab.itemAttrs));
    const full = new PlainModel(dims, w, csr(itemAttrs));
    const h = full.step(full.initialState(), { item: 4, kind: 0, gap: 2 });
    const dropped = vocab.items.findIndex((_, i) => i > 0 && !keep[i]);
    expect(dropped).toBeGreaterThan(0);
    const rep = new Float32Array(dims.dim);
    device.itemRepInto(0, rep, 0, itemAttrs[dropped]);
    const q = full.query(h);
    const s = rep.reduce((a, v, j) => a + v * q[j]!, 0) + c.weights.item_bias![0]!;
    expect(s).toBeCloseTo(full.score(h, [dropped])[0]!, 5);
  });
});

describe('loading a hashed-attribute vocabulary', () => {
  const w = randomWeights(dims, 6);
  const build = (h: unknown) => buildExport({ dims, weights: w, vocab: { ...vocab, attrs: [], attrHash: h as VocabJson['attrHash'] } });

  it('reads the hash it knows', async () => {
    const loaded = await loadExport(reader(await build(hash)));
    expect(loaded.vocab.attrHash).toEqual(hash);
  });

  it('refuses another scheme, a bad seed or a bucket count other than the model\'s attribute rows', async () => {
    await expect(loadExport(reader(await build({ ...hash, scheme: 'md5' })))).rejects.toThrow(FormatError);
    await expect(loadExport(reader(await build({ ...hash, seed: -1 })))).rejects.toThrow(/seed/);
    await expect(loadExport(reader(await build({ ...hash, buckets: 99 })))).rejects.toThrow(/over 99 rows, the model has 12/);
    await expect(loadExport(reader(await build(null)))).rejects.toThrow(FormatError);
  });
});
