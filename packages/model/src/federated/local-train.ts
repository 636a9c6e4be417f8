/**
 * A federated client's local training, from given (global) weights: a few passes over the device's own
 * sequence with the plain Float32Array model, updating ONLY the shared dense tensors (`SHARED_DENSE_WEIGHTS`).
 * Item and attribute embeddings and item_bias are read but frozen: they are never uploaded (which rows
 * moved would name the items the shopper touched), so moving them locally would only make the dense delta
 * fit embeddings the server never sees. Returns the flat dense delta (trained − base, layout order).
 *
 * Pure and isomorphic (SDK worker, simulator, benchmarks): the caller's weights are never modified.
 */
import type { Sequence } from '../data/types.js';
import { Adam } from '../plain/adam.js';
import { BatchStep, type LossConfig } from '../plain/batch.js';
import { PlainModel } from '../plain/model.js';
import { Rng } from '../plain/rng.js';
import { zeroWeights } from '../plain/weights.js';
import { flattenShared, type Layout } from '../privacy/flatten.js';
import { SHARED_DENSE_WEIGHTS, type ModelDims, type Weights } from '../spec.js';

export interface LocalTrainOptions {
  /** Passes over the device's sequences (each pass is one batch, so one optimiser step). */
  epochs: number;
  learningRate: number;
  /** 'sgd' (as the simulator) or 'adam' (fresh moments every round: nothing carries over between rounds). */
  optimizer?: 'sgd' | 'adam';
  /** Per-step gradient-norm clip on the dense gradient (0 = off): a stability guard, not the DP clip. */
  gradClip?: number;
  /** Seed of dropout and negative sampling (not a privacy mechanism: the DP noise is added later). */
  seed: number;
  /** Overrides of the local loss; defaults: uniform sampled negatives, no dropout. */
  loss?: Partial<LossConfig>;
}

export interface LocalTrainResult {
  delta: Float32Array;
  /** Predicted positions in the last pass (the example count the upload's client weight is based on). */
  positions: number;
  /** Mean loss per position of the first and last pass. */
  firstLoss: number;
  lastLoss: number;
}

/** Local loss defaults: no popularity is known on a device, so negatives are uniform (negAlpha 0). */
export const LOCAL_LOSS: LossConfig = {
  negatives: 256, negAlpha: 0, dropoutIn: 0, dropoutOut: 0, intentWeight: 0.1, categoryWeight: 0, maxLen: 50,
};

/**
 * Trains from `base` on `seqs` (rows of `base`'s vocabulary; item row 0 never appears) and returns the dense
 * delta in `layout` order. Throws when the gradient stops being finite (the caller then sends nothing).
 */
export function localTrain(
  dims: ModelDims, base: Weights, attrs: { attrOffsets: Int32Array; attrIds: Int32Array },
  seqs: Sequence[], layout: Layout, o: LocalTrainOptions,
): LocalTrainResult {
  const w: Weights = { ...base };
  for (const k of SHARED_DENSE_WEIGHTS) w[k] = base[k]!.slice();
  const model = new PlainModel(dims, w, attrs);
  const grads = zeroWeights(dims);
  const step = new BatchStep(model, grads, { ...LOCAL_LOSS, ...o.loss }, new Rng(o.seed), new Float64Array(dims.numItems + 1), null, true);
  step.frozenRows = true; // embeddings are read, never trained: skip their gradients
  const dense: Weights = Object.fromEntries(SHARED_DENSE_WEIGHTS.map((k) => [k, w[k]!]));
  const denseGrads: Weights = Object.fromEntries(SHARED_DENSE_WEIGHTS.map((k) => [k, grads[k]!]));
  const adam = o.optimizer === 'adam' ? new Adam(dense, dims.dim) : null;
  const noRows = { itemRows: new Int32Array(0), itemCount: 0, attrStamp: new Int32Array(0), stamp: -1 };
  const startFlat = flattenShared(w, layout);
  let positions = 0, firstLoss = NaN, lastLoss = NaN;
  for (let e = 0; e < o.epochs; e++) {
    const r = step.run(seqs);
    positions = r.positions;
    if (e === 0) firstLoss = r.loss;
    lastLoss = r.loss;
    clearFrozen(grads, step, dims.dim);
    if (adam) {
      const norm = adam.step(denseGrads, o.learningRate, noRows, 0, o.gradClip ?? 0);
      if (!Number.isFinite(norm)) throw new Error('local training diverged: non-finite gradient');
      continue;
    }
    let sq = 0;
    for (const k of SHARED_DENSE_WEIGHTS) for (const v of grads[k]!) sq += v * v;
    const norm = Math.sqrt(sq);
    if (!Number.isFinite(norm)) throw new Error('local training diverged: non-finite gradient');
    const clip = o.gradClip ?? 0;
    const f = o.learningRate * (clip > 0 && norm > clip ? clip / norm : 1);
    for (const k of SHARED_DENSE_WEIGHTS) {
      const wt = w[k]!, g = grads[k]!;
      for (let i = 0; i < wt.length; i++) { wt[i] = wt[i]! - f * g[i]!; g[i] = 0; }
    }
  }
  const delta = flattenShared(w, layout);
  for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! - startFlat[i]!;
  return { delta, positions, firstLoss, lastLoss };
}

/** Zeroes the embedding gradient rows the step touched (they are frozen; the V×d arrays are not swept). */
function clearFrozen(g: Weights, step: BatchStep, dim: number): void {
  const E = g.item_emb!, b = g.item_bias!, A = g.attr_emb!;
  for (let u = 0; u < step.touchedCount; u++) { const i = step.rows[u]!; E.fill(0, i * dim, i * dim + dim); b[i] = 0; }
  const stamp = step.currentStamp;
  for (let a = 0; a < step.attrStamp.length; a++) if (step.attrStamp[a] === stamp) A.fill(0, a * dim, a * dim + dim);
}
