import { describe, expect, it } from 'vitest';
import type { Sequence } from '../data/types.js';
import type { ModelDims, Weights } from '../spec.js';
import { BatchStep, unseenMass, virtualBatchProbabilities, type LossConfig } from './batch.js';
import { PlainModel } from './model.js';
import { Rng } from '../rng.js';
import { initWeights, zeroWeights } from './weights.js';

const dims: ModelDims = { numItems: 7, numAttrs: 3, numCategories: 3, dim: 4, hidden: 5 };
const attrs = { attrOffsets: Int32Array.from([0, 0, 2, 3, 3, 4, 4, 5, 6]), attrIds: Int32Array.from([1, 2, 2, 3, 1, 3]) };
const itemCategory = Int32Array.from([0, 1, 1, 2, 0, 2, 1, 2]);
const seq = (items: number[], kinds: number[], gaps: number[]): Sequence => ({ key: 'k', items: Int32Array.from(items), kinds: Uint8Array.from(kinds), gaps: Uint8Array.from(gaps) });
const batch = [seq([1, 3, 2, 5], [0, 2, 0, 4], [8, 1, 3, 2]), seq([7, 6, 4], [0, 0, 4], [8, 0, 5]), seq([2, 1], [1, 0], [8, 4])];
// full softmax (negatives ≥ numItems) and no dropout: the loss is a deterministic function of the weights
const cfg: LossConfig = { negatives: 100, negAlpha: 0, dropoutIn: 0, dropoutOut: 0, intentWeight: 0.7, categoryWeight: 0.5, maxLen: 50 };

function lossAndGrads(w: Weights): { loss: number; g: Weights } {
  const m = new PlainModel(dims, w, attrs), g = zeroWeights(dims);
  const step = new BatchStep(m, g, cfg, new Rng(3), Float64Array.from([0, 5, 3, 2, 1, 1, 1, 1]), itemCategory, true);
  return { loss: step.run(batch).loss, g };
}

describe('plain backward pass', () => {
  it('matches central finite differences for every tensor', () => {
    const rng = new Rng(11);
    const w = initWeights(dims, rng, 3); // larger embeddings so every term has a visible gradient
    for (const t of Object.values(w)) for (let i = 0; i < t.length; i++) t[i] = t[i]! + 0.1 * rng.normal();
    const { g } = lossAndGrads(w);
    const eps = 2e-3;
    let checked = 0;
    for (const [name, t] of Object.entries(w)) {
      for (let k = 0; k < Math.min(12, t.length); k++) {
        const i = (k * 7919 + 3) % t.length;
        const orig = t[i]!;
        t[i] = orig + eps; const lp = lossAndGrads(w).loss;
        t[i] = orig - eps; const lm = lossAndGrads(w).loss;
        t[i] = orig;
        const num = (lp - lm) / (2 * eps), ana = g[name]![i]!;
        expect(Math.abs(num - ana), `${name}[${i}] numeric ${num} analytic ${ana}`).toBeLessThan(2e-3 + 0.03 * Math.abs(num));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60);
    // the gradient is not trivially zero
    expect(Math.max(...Array.from(g.gru_wh!, Math.abs))).toBeGreaterThan(1e-4);
    expect(Math.max(...Array.from(g.attr_emb!, Math.abs))).toBeGreaterThan(1e-4);
    expect(Math.max(...Array.from(g.attr_tr!, Math.abs))).toBeGreaterThan(1e-4);
  });

  it('frozenRows gives the same dense gradients and none for embedding rows or item_bias', () => {
    const w = initWeights(dims, new Rng(12), 3);
    const full = lossAndGrads(w);
    const m = new PlainModel(dims, w, attrs), g = zeroWeights(dims);
    const step = new BatchStep(m, g, cfg, new Rng(3), Float64Array.from([0, 5, 3, 2, 1, 1, 1, 1]), itemCategory, true);
    step.frozenRows = true;
    expect(step.run(batch).loss).toBeCloseTo(full.loss, 6);
    for (const name of Object.keys(g)) {
      if (name === 'item_emb' || name === 'attr_emb' || name === 'item_bias') {
        expect(g[name]!.every((v) => v === 0), `${name} has no gradient`).toBe(true);
        expect(full.g[name]!.some((v) => v !== 0), `${name} has one in a full step`).toBe(true);
      } else {
        // the same gradient; a frozen step scores candidates as [Q | Q·Tᵀ]·[E | a]ᵀ, so rounding differs
        const scale = Math.max(1e-6, ...Array.from(full.g[name]!, Math.abs));
        for (let i = 0; i < g[name]!.length; i++) expect(Math.abs(g[name]![i]! - full.g[name]![i]!), `${name}[${i}]`).toBeLessThan(1e-5 * scale);
      }
    }
    expect(g.attr_tr!.some((v) => v !== 0)).toBe(true);
  });

  it('frozenRows (split and cached forms) matches a full step with sampled negatives and a virtual batch, T away from the identity', () => {
    const counts = Float64Array.from([0, 5, 3, 0, 1, 1, 0, 2]);
    const sampled: LossConfig = { ...cfg, negatives: 3, negAlpha: 0.5, virtualBatch: 4, dropoutIn: 0.2, dropoutOut: 0.2 };
    const rng = new Rng(31);
    const w = initWeights(dims, rng, 3);
    for (let i = 0; i < w.attr_tr!.length; i++) w.attr_tr![i] = w.attr_tr![i]! + 0.5 * rng.normal();
    const run = (frozen: boolean, withReps = false, withMeans = false): { loss: number; g: Weights } => {
      const m = new PlainModel(dims, w, attrs), g = zeroWeights(dims);
      const step = new BatchStep(m, g, sampled, new Rng(5), counts, itemCategory, true);
      step.frozenRows = frozen;
      step.reps = withReps ? m.itemReps() : null; // the cached-representation form of a frozen step
      if (withMeans) { // the cached attribute means
        const means = new Float32Array((dims.numItems + 1) * dims.dim);
        for (let i = 0; i <= dims.numItems; i++) m.attrMeanInto(i, means, i * dims.dim);
        step.attrMeans = means;
      }
      return { loss: step.run(batch).loss, g };
    };
    const full = run(false), frozen = run(true), cached = run(true, true, true), meansOnly = run(true, false, true);
    for (const other of [frozen, cached, meansOnly]) {
      expect(other.loss).toBeCloseTo(full.loss, 5);
      for (const name of ['attr_tr', 'gru_wx', 'gru_wh', 'out_w', 'out_b', 'event_emb', 'intent_w']) {
        const scale = Math.max(...Array.from(full.g[name]!, Math.abs));
        expect(scale, `${name} has a gradient`).toBeGreaterThan(1e-4);
        for (let i = 0; i < full.g[name]!.length; i++) expect(Math.abs(other.g[name]![i]! - full.g[name]![i]!), `${name}[${i}]`).toBeLessThan(1e-5 * scale);
      }
    }
  });
});

describe('virtual batch (federated devices)', () => {
  it('sampled softmax with negatives and a virtual batch matches finite differences', () => {
    // A fixed Rng per evaluation draws the same candidates, so the sampled loss is a function of the weights.
    const counts = Float64Array.from([0, 5, 3, 0, 1, 1, 0, 2]);
    const sampled: LossConfig = { ...cfg, negatives: 2, negAlpha: 0.5, virtualBatch: 3 };
    const run = (w: Weights): { loss: number; g: Weights } => {
      const m = new PlainModel(dims, w, attrs), g = zeroWeights(dims);
      return { loss: new BatchStep(m, g, sampled, new Rng(5), counts, itemCategory, true).run(batch).loss, g };
    };
    const w = initWeights(dims, new Rng(21), 3);
    const { g } = run(w);
    const eps = 2e-3;
    for (const name of ['gru_wh', 'out_w', 'item_emb', 'attr_emb', 'attr_tr', 'item_bias', 'event_emb']) {
      const t = w[name]!;
      for (let k = 0; k < Math.min(8, t.length); k++) {
        const i = (k * 7919 + 5) % t.length, orig = t[i]!;
        t[i] = orig + eps; const lp = run(w).loss;
        t[i] = orig - eps; const lm = run(w).loss;
        t[i] = orig;
        const num = (lp - lm) / (2 * eps);
        expect(Math.abs(num - g[name]![i]!), `${name}[${i}]`).toBeLessThan(2e-3 + 0.03 * Math.abs(num));
      }
    }
  });

  it('draws stand-ins from the empirical popularity plus the Good–Turing unseen mass', () => {
    // 3 items seen once, one seen 5 times: N = 8, m0 = 3/8 spread over the 2 unseen items
    const counts = [0, 1, 1, 1, 5, 0, 0];
    expect(unseenMass(counts, 6)).toBeCloseTo(3 / 8, 12);
    const p = virtualBatchProbabilities(counts, 6);
    expect(Array.from(p)).toEqual([0, 5 / 64, 5 / 64, 5 / 64, 25 / 64, 3 / 16, 3 / 16]); // seen: (1 − m0)·c/N
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(unseenMass([0, 2, 3], 2)).toBe(0); // every item seen
    expect(Array.from(virtualBatchProbabilities([0, 0, 0], 2))).toEqual([0, 0, 0]); // nothing counted: no virtual batch
  });

  it('adds the stand-ins as candidates only when counts exist', () => {
    const one = [seq([1, 2, 3], [0, 0, 0], [8, 1, 1])];
    const touched = (counts: Float64Array, vb: number): number => {
      const m = new PlainModel(dims, initWeights(dims, new Rng(2)), attrs), g = zeroWeights(dims);
      const step = new BatchStep(m, g, { ...cfg, negatives: 1, virtualBatch: vb }, new Rng(9), counts, itemCategory, true);
      step.run(one);
      return step.touchedCount;
    };
    const counts = Float64Array.from([0, 1, 1, 1, 1, 1, 1, 1]);
    expect(touched(counts, 0)).toBeLessThanOrEqual(4); // inputs/targets 1–3 plus one negative
    expect(touched(counts, 40)).toBe(7); // 40 draws over 7 items: all of them
    expect(touched(new Float64Array(8), 40)).toBeLessThanOrEqual(4); // no counts: no virtual batch
  });
});
