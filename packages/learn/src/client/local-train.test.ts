import { describe, expect, it } from 'vitest';
import { LocalTrainer, localTrain } from './local-train.js';
import { DEFAULT_RECIPE, recipeProblems, type LocalRecipe } from './recipe.js';
import { initWeights } from '@perch/model/plain';
import { Rng } from '@perch/model/rng';
import { makeLayout, unflatten } from '../update/layout.js';
import { SHARED_DENSE_WEIGHTS, weightShapes, type ModelDims } from '@perch/model/spec';
import type { Sequence } from '@perch/model/data';

const dims: ModelDims = { numItems: 30, numAttrs: 4, numCategories: 3, dim: 8, hidden: 8 };
const layout = makeLayout(weightShapes(dims), SHARED_DENSE_WEIGHTS);
const attrs = { attrOffsets: new Int32Array(dims.numItems + 2), attrIds: new Int32Array(0) };
const seq: Sequence = {
  key: 'device',
  items: Int32Array.from([1, 2, 3, 1, 2, 3, 1, 2, 3, 4]),
  kinds: Uint8Array.from([0, 0, 2, 0, 0, 2, 0, 0, 4, 0]),
  gaps: Uint8Array.from([8, 1, 1, 2, 1, 1, 2, 1, 1, 3]),
};
const recipe = (r: Partial<LocalRecipe>): LocalRecipe => ({ ...DEFAULT_RECIPE, negatives: 8, virtualBatch: 0, dropout: 0, ...r });

describe('localTrain', () => {
  it('moves only the dense weights, leaves the caller\'s weights untouched, and lowers the local loss', () => {
    const base = initWeights(dims, new Rng(3));
    const before = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, v.slice()]));
    for (const optimizer of ['sgd', 'adam'] as const) {
      const r = localTrain(dims, base, attrs, [seq], layout, { recipe: recipe({ epochs: 30, learningRate: optimizer === 'sgd' ? 0.5 : 0.02, negatives: 100 }), optimizer, seed: 1 });
      expect(r.delta.length).toBe(layout.size);
      expect(r.positions).toBe(9);
      expect(r.lastLoss).toBeLessThan(r.firstLoss);
      expect(r.delta.some((v) => v !== 0)).toBe(true);
      expect(r.delta.every(Number.isFinite)).toBe(true);
    }
    for (const [k, v] of Object.entries(base)) expect(v).toEqual(before[k]);
  });

  it('a reused trainer scores with the base\'s cached item representations and gets the same delta', () => {
    // items with attributes and T away from the identity, so attr_tr has a gradient and the cache matters
    const withAttrs = { attrOffsets: Int32Array.from({ length: dims.numItems + 2 }, (_, i) => Math.min(i, dims.numItems) * 2), attrIds: Int32Array.from({ length: 2 * dims.numItems }, (_, k) => 1 + (k % dims.numAttrs)) };
    const w0 = initWeights(dims, new Rng(6));
    const rng = new Rng(7);
    const T0 = w0.attr_tr!.map((v) => v + 0.3 * rng.normal()), T1 = w0.attr_tr!.map((v) => v + 0.3 * rng.normal());
    const other: Sequence = { ...seq, items: Int32Array.from([5, 6, 7, 8, 9]), kinds: new Uint8Array(5), gaps: new Uint8Array(5) };
    const o = { recipe: recipe({ epochs: 2, learningRate: 0.5, negatives: 12, virtualBatch: 6, dropout: 0.2 }), counts: Array.from({ length: dims.numItems + 1 }, (_, i) => (i === 0 ? 0 : 1 + (i % 4))), seed: 4 };
    const a = { ...w0, attr_tr: T0.slice() }, b = { ...w0, attr_tr: T1.slice() };
    const A = new LocalTrainer(dims, a, withAttrs, layout, o), B = new LocalTrainer(dims, b, withAttrs, layout, o);
    A.train([other]); B.train([other]); // same draws; A has now seen T0 once, B has seen T1
    b.attr_tr!.set(T0); // B's next call starts from T0 too, but uncached (T differs from the one it saw)
    const cached = unflatten(A.train([seq]).delta, layout), plain = unflatten(B.train([seq]).delta, layout);
    expect(cached.attr_tr!.some((v) => v !== 0)).toBe(true);
    for (const name of SHARED_DENSE_WEIGHTS) {
      const scale = Math.max(1e-6, ...Array.from(plain[name]!, Math.abs));
      for (let i = 0; i < plain[name]!.length; i++) expect(Math.abs(cached[name]![i]! - plain[name]![i]!), `${name}[${i}]`).toBeLessThan(1e-5 * scale);
    }
  });

  it('is deterministic for a seed', () => {
    const base = initWeights(dims, new Rng(4));
    const o = { recipe: recipe({ epochs: 3, learningRate: 0.1 }), seed: 9 };
    expect(localTrain(dims, base, attrs, [seq], layout, o).delta).toEqual(localTrain(dims, base, attrs, [seq], layout, o).delta);
  });

  it('trains and returns only the tensors of the round\'s layout', () => {
    const base = initWeights(dims, new Rng(5));
    const sub = makeLayout(weightShapes(dims), ['gru_wh', 'out_w']);
    const r = localTrain(dims, base, attrs, [seq], sub, { recipe: recipe({ epochs: 3, learningRate: 0.5 }), seed: 2 });
    expect(r.delta.length).toBe(sub.size);
    const parts = unflatten(r.delta, sub);
    expect(parts.gru_wh!.some((v) => v !== 0) && parts.out_w!.some((v) => v !== 0)).toBe(true);
    // with several epochs, an untrained tensor would change the trained ones' later gradients: compare with a
    // run where the other tensors are trained too, restricted to the same two tensors
    const all = unflatten(localTrain(dims, base, attrs, [seq], layout, { recipe: recipe({ epochs: 3, learningRate: 0.5 }), seed: 2 }).delta, layout);
    expect(parts.gru_wh).not.toEqual(all.gru_wh);
    expect(() => localTrain(dims, base, attrs, [seq], makeLayout(weightShapes(dims), ['item_emb']), { recipe: recipe({}), seed: 1 })).toThrow(/not shared dense/);
  });

  it('leaves the recipe\'s frozen tensors at the base value: their part of the delta is exactly zero', () => {
    const base = initWeights(dims, new Rng(8));
    const run = (frozen: string[]) => unflatten(localTrain(dims, base, attrs, [seq], layout, { recipe: recipe({ epochs: 2, learningRate: 0.5, frozen }), seed: 3 }).delta, layout);
    const frozen = run(['event_emb', 'gap_emb']), none = run([]);
    expect(frozen.event_emb!.every((v) => v === 0) && frozen.gap_emb!.every((v) => v === 0)).toBe(true);
    expect(none.event_emb!.some((v) => v !== 0) && none.gap_emb!.some((v) => v !== 0)).toBe(true);
    expect(frozen.gru_wh!.some((v) => v !== 0) && frozen.out_w!.some((v) => v !== 0)).toBe(true);
    const all = SHARED_DENSE_WEIGHTS.filter((k) => k !== 'out_b');
    expect(unflatten(localTrain(dims, base, attrs, [seq], layout, { recipe: recipe({ frozen: all }), seed: 3 }).delta, layout).out_b!.some((v) => v !== 0)).toBe(true);
    expect(() => localTrain(dims, base, attrs, [seq], makeLayout(weightShapes(dims), ['gru_wh']), { recipe: recipe({ frozen: ['gru_wh'] }), seed: 1 })).toThrow(/freezes every tensor/);
  });

  it('samples from the model\'s item counts when given, and the virtual batch changes the step', () => {
    const base = initWeights(dims, new Rng(6), 2);
    const counts = Array.from({ length: dims.numItems + 1 }, (_, i) => (i === 0 ? 0 : i % 3 === 0 ? 0 : i % 5 === 0 ? 1 : 7));
    const d = (r: Partial<LocalRecipe>, c?: number[]): Float32Array => localTrain(dims, base, attrs, [seq], layout, { recipe: recipe(r), counts: c, seed: 3 }).delta;
    expect(d({}, counts)).not.toEqual(d({}));
    expect(d({ virtualBatch: 64 }, counts)).not.toEqual(d({}, counts));
    expect(d({ virtualBatch: 64 })).toEqual(d({})); // without counts there is nothing to draw stand-ins from
  });

  it('a reused LocalTrainer gives the one-shot result and re-reads the base weights each time', () => {
    const base = initWeights(dims, new Rng(7));
    // full softmax, no dropout: no randomness, so a reused trainer must give what a fresh one gives
    const o = { recipe: recipe({ epochs: 2, learningRate: 0.3, negatives: 100 }), seed: 4 };
    const t = new LocalTrainer(dims, base, attrs, layout, o);
    expect(t.train([seq]).delta).toEqual(localTrain(dims, base, attrs, [seq], layout, o).delta);
    base.gru_wh!.fill(0.01);
    expect(new LocalTrainer(dims, base, attrs, layout, o).train([seq]).delta).toEqual(t.train([seq]).delta);
  });
});

describe('local recipe', () => {
  it('lists what is wrong with a recipe a server wants to announce', () => {
    expect(recipeProblems(DEFAULT_RECIPE)).toEqual([]);
    expect(recipeProblems({ ...DEFAULT_RECIPE, epochs: 1.5, dropout: 0.95 })).toEqual([
      'local epochs must be an integer in [1, 20], got 1.5', 'local dropout must be a number in [0, 0.9], got 0.95',
    ]);
    expect(recipeProblems({ ...DEFAULT_RECIPE, frozen: ['event_emb', 'item_emb'] })).toEqual(['local frozen names unknown tensors: item_emb']);
    expect(recipeProblems({ ...DEFAULT_RECIPE, frozen: [...SHARED_DENSE_WEIGHTS] })).toEqual(['local frozen must leave at least one tensor trained']);
    expect(recipeProblems({ ...DEFAULT_RECIPE, frozen: ['gap_emb', 'gap_emb'] })).toEqual(['local frozen lists a tensor twice']);
  });
});
