import { describe, expect, it } from 'vitest';
import type { ModelDims } from '../spec.js';
import { PlainModel } from './model.js';
import { Rng } from '../rng.js';
import { initWeights } from './weights.js';

const dims: ModelDims = { numItems: 20, numAttrs: 4, numCategories: 2, dim: 8, hidden: 6 };
const offsets = new Int32Array(22);
for (let i = 1; i <= 21; i++) offsets[i] = Math.min(i - 1, 10); // items 1..10 have one attribute each
const attrs = { attrOffsets: offsets, attrIds: Int32Array.from([1, 2, 3, 4, 1, 2, 3, 4, 1, 2]) };
const model = new PlainModel(dims, initWeights(dims, new Rng(5), 4), attrs);
for (let i = 0; i < model.w.item_bias!.length; i++) model.w.item_bias![i] = (i % 5) * 0.01;

describe('PlainModel inference', () => {
  it('step carries only the hidden state and does not mutate its input', () => {
    const h0 = model.initialState();
    const h1 = model.step(h0, { item: 3, kind: 0, gap: 8 });
    expect(Array.from(h0).every((v) => v === 0)).toBe(true);
    const h2a = model.step(h1, { item: 4, kind: 2, gap: 1 });
    const h2b = model.step(Float32Array.from(h1), { item: 4, kind: 2, gap: 1 });
    expect(Array.from(h2a)).toEqual(Array.from(h2b));
    expect(Array.from(h2a)).not.toEqual(Array.from(h1));
  });
  it('topK agrees with score over the catalog and honours exclusions', () => {
    const h = model.step(model.initialState(), { item: 2, kind: 0, gap: 8 });
    const all = Array.from({ length: 20 }, (_, i) => i + 1);
    const s = model.score(h, all);
    const sorted = all.filter((i) => i !== 7).sort((a, b) => s[b - 1]! - s[a - 1]!);
    expect(model.topK(h, 5, [7]).map((r) => r.item)).toEqual(sorted.slice(0, 5));
    expect(model.topK(h, 5, [7])[0]!.score).toBeCloseTo(s[sorted[0]! - 1]!, 5);
  });
  it('represents an unknown item by its attributes (cold start)', () => {
    const rep = new Float32Array(8);
    model.itemRepInto(0, rep, 0, [2, 3]);
    const A = model.w.attr_emb!;
    for (let k = 0; k < 8; k++) expect(rep[k]).toBeCloseTo((A[2 * 8 + k]! + A[3 * 8 + k]!) / 2, 6);
    const T = model.w.attr_tr!;
    const mean = Array.from({ length: 8 }, (_, j) => (A[2 * 8 + j]! + A[3 * 8 + j]!) / 2);
    T[1 * 8 + 5] = T[1 * 8 + 5]! + 0.75; // T away from the identity: rep = mean · T
    model.itemRepInto(0, rep, 0, [2, 3]);
    for (let k = 0; k < 8; k++) expect(rep[k]).toBeCloseTo(mean.reduce((s, m, j) => s + m * T[j * 8 + k]!, 0), 6);
    expect(rep[5]).toBeCloseTo(mean[5]! + 0.75 * mean[1]!, 6);
    T[1 * 8 + 5] = T[1 * 8 + 5]! - 0.75;
    const cold = model.step(model.initialState(), { item: 0, kind: 0, gap: 8, attrs: [2, 3] });
    const none = model.step(model.initialState(), { item: 0, kind: 0, gap: 8 });
    expect(Array.from(cold)).not.toEqual(Array.from(none));
  });
  it('scores attribute-only items as q·itemRep + bias[0] of their cold representation', () => {
    const h = model.step(model.initialState(), { item: 2, kind: 0, gap: 8 });
    const q = model.query(h).slice();
    const lists = [[1], [2, 4], [3, 3, 1], []];
    const rep = new Float32Array(dims.dim);
    const want = lists.map((l) => {
      model.itemRepInto(0, rep, 0, l);
      return rep.reduce((s, v, j) => s + v * q[j]!, 0) + model.w.item_bias![0]!;
    });
    const got = model.coldScores(q, lists);
    want.forEach((w, k) => expect(got[k]).toBeCloseTo(w, 5));
    expect(new Set(want.map((w) => w.toFixed(4))).size).toBe(4); // the lists score differently
    // rows outside 1..numAttrs (padding, out of range, not an integer) are skipped, never read
    expect(Array.from(model.coldScores(q, [[0, 2, 5, 4, 1.5], [9]]))).toEqual([got[1], got[3]]);
  });
  it('gives heads as probabilities', () => {
    const h = model.step(model.initialState(), { item: 5, kind: 4, gap: 2 });
    const p = model.purchaseProbability(h);
    expect(p).toBeGreaterThan(0); expect(p).toBeLessThan(1);
    const c = model.categoryDistribution(h);
    expect(c.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});
