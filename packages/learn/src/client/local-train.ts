/**
 * A federated client's local training, from given (global) weights: the round's recipe (`LocalRecipe`) run on
 * the device's own sequence with the plain Float32Array model, updating ONLY the tensors of the round's layout
 * (a subset of `SHARED_DENSE_WEIGHTS`) that the recipe does not freeze (`LocalRecipe.frozen`: their delta is
 * zero). Item and attribute embeddings and item_bias are read but frozen: they
 * are never uploaded (which rows moved would name the items the shopper touched), so moving them locally would
 * only make the dense delta fit embeddings the server never sees. Returns the flat delta (trained − base,
 * layout order).
 *
 * Pure and isomorphic (SDK worker, simulator, benchmarks): the caller's weights are never modified.
 * `LocalTrainer` keeps its V-sized buffers between calls (the simulator trains thousands of devices with one);
 * `localTrain` is the one-shot form a device uses.
 */
import type { Sequence } from '@perch/model/data';
import { Adam, BatchStep, PlainModel, zeroWeights } from '@perch/model/plain';
import { Rng } from '@perch/model/rng';
import { flattenShared, type Layout } from '../update/layout.js';
import { SHARED_DENSE_WEIGHTS, type ModelDims, type Weights } from '@perch/model/spec';
import { recipeLoss, type LocalRecipe } from './recipe.js';

export interface LocalTrainOptions {
  recipe: LocalRecipe;
  /**
   * How often each item row occurs in the model's training data (`vocab.itemCounts`, length numItems + 1):
   * negatives and the virtual batch are drawn from it. Absent: uniform negatives, no virtual batch.
   */
  counts?: ArrayLike<number>;
  /** 'sgd' (the recipe's) or 'adam' (fresh moments every call: nothing carries over between rounds). */
  optimizer?: 'sgd' | 'adam';
  /** Per-step gradient-norm clip on the trained tensors' gradient (0 = off): a stability guard, not the DP clip. */
  gradClip?: number;
  /** Seed of dropout and negative sampling (not a privacy mechanism: the DP noise is added later). */
  seed: number;
  /**
   * Whether event kinds are real (a device's GA4 events: the purchase head trains) or all the same (sequence
   * files such as Beauty's, where every event is a review: the purchase head must not train). Default true.
   */
  typedEvents?: boolean;
}

export interface LocalTrainResult {
  delta: Float32Array;
  /** Predicted positions in the last pass (the example count the upload's client weight is based on). */
  positions: number;
  /** Mean loss per position of the first and last pass. */
  firstLoss: number;
  lastLoss: number;
}

/** Adam's sparse-row input when no embedding row is trained. */
const NO_ROWS = { itemRows: new Int32Array(0), itemCount: 0, attrStamp: new Int32Array(0), stamp: -1 };

/**
 * A reusable local trainer over `base`: its dense tensors are re-read at every `train` call; its embedding tensors
 * (item_emb, attr_emb, item_bias) must not change between calls.
 */
export class LocalTrainer {
  private readonly model: PlainModel;
  private readonly grads: Weights;
  private readonly step: BatchStep;
  private readonly names: string[];
  /** The trained tensors (the layout's, minus the recipe's frozen ones) of the model and of the gradient (views of the same arrays, built once). */
  private readonly trained: Weights;
  private readonly trainedGrads: Weights;
  /** attr_tr of the last call's base, and the item representations of that base once it was seen twice. */
  private repsT: Float32Array | null = null;
  private reps: Float32Array | null = null;

  constructor(dims: ModelDims, private readonly base: Weights, attrs: { attrOffsets: Int32Array; attrIds: Int32Array },
    private readonly layout: Layout, private readonly o: LocalTrainOptions) {
    const inLayout = layout.tensors.map((t) => t.name);
    const unknown = inLayout.filter((n) => !(SHARED_DENSE_WEIGHTS as readonly string[]).includes(n));
    if (unknown.length > 0) throw new Error(`local training: ${unknown.join(', ')} are not shared dense tensors`);
    this.names = inLayout.filter((n) => !o.recipe.frozen.includes(n));
    if (this.names.length === 0) throw new Error('local training: the recipe freezes every tensor of the layout');
    const w: Weights = { ...base };
    for (const k of SHARED_DENSE_WEIGHTS) w[k] = base[k]!.slice();
    this.model = new PlainModel(dims, w, attrs);
    this.grads = zeroWeights(dims);
    const counts = Float64Array.from({ length: dims.numItems + 1 }, (_, i) => Number(o.counts?.[i] ?? 0));
    this.step = new BatchStep(this.model, this.grads, recipeLoss(o.recipe), new Rng(o.seed), counts, null, o.typedEvents ?? true);
    this.step.frozenRows = true; // embeddings are read, never trained: skip their gradients
    this.trained = Object.fromEntries(this.names.map((k) => [k, this.model.w[k]!]));
    this.trainedGrads = Object.fromEntries(this.names.map((k) => [k, this.grads[k]!]));
  }

  /** Trains on `seqs` (rows of the model's vocabulary; item row 0 never appears) from the current base weights. */
  train(seqs: Sequence[]): LocalTrainResult {
    const { model, grads, names, o, trainedGrads } = this;
    for (const k of SHARED_DENSE_WEIGHTS) model.w[k]!.set(this.base[k]!);
    const adam = o.optimizer === 'adam' ? new Adam(this.trained, model.dims.dim) : null; // fresh moments per call
    const startFlat = flattenShared(model.w, this.layout);
    const reps = this.baseReps();
    let positions = 0, firstLoss = NaN, lastLoss = NaN;
    for (let e = 0; e < o.recipe.epochs; e++) {
      this.step.reps = e === 0 ? reps : null; // later passes run on trained weights
      const r = this.step.run(seqs);
      positions = r.positions;
      if (e === 0) firstLoss = r.loss;
      lastLoss = r.loss;
      this.clearUntrained();
      if (adam) {
        const norm = adam.step(trainedGrads, o.recipe.learningRate, NO_ROWS, 0, o.gradClip ?? 0);
        if (!Number.isFinite(norm)) throw new Error('local training diverged: non-finite gradient');
        continue;
      }
      let sq = 0;
      for (const k of names) for (const v of grads[k]!) sq += v * v;
      const norm = Math.sqrt(sq);
      if (!Number.isFinite(norm)) throw new Error('local training diverged: non-finite gradient');
      const clip = o.gradClip ?? 0;
      const f = o.recipe.learningRate * (clip > 0 && norm > clip ? clip / norm : 1);
      for (const k of names) {
        const wt = model.w[k]!, g = grads[k]!;
        for (let i = 0; i < wt.length; i++) { wt[i] = wt[i]! - f * g[i]!; g[i] = 0; }
      }
    }
    const delta = flattenShared(model.w, this.layout);
    for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! - startFlat[i]!;
    return { delta, positions, firstLoss, lastLoss };
  }

  /**
   * The item representations of the base weights (V·d² multiply-adds to build), or null. Built when a call
   * starts from the same attr_tr as the previous one: the simulator trains a round's devices from one base,
   * while a device's one-shot `localTrain` never pays for the table. Call after the dense tensors are reset.
   */
  private baseReps(): Float32Array | null {
    const T = this.base.attr_tr!, seen = this.repsT;
    if (seen && seen.length === T.length && seen.every((v, i) => v === T[i])) {
      if (!this.reps) { this.model.invalidate(); this.reps = this.model.itemReps(); this.model.invalidate(); }
      if (!this.step.attrMeans) { // attr_emb never changes here: built once, used by every later pass
        const { numItems: V, dim: d } = this.model.dims, means = new Float32Array((V + 1) * d);
        for (let i = 0; i <= V; i++) this.model.attrMeanInto(i, means, i * d);
        this.step.attrMeans = means;
      }
      return this.reps;
    }
    this.repsT = T.slice();
    this.reps = null;
    return null;
  }

  /** Zeroes the gradients of everything not trained: the embedding rows the step touched, other dense tensors. */
  private clearUntrained(): void {
    const { grads: g, step, names } = this, dim = this.model.dims.dim;
    const E = g.item_emb!, b = g.item_bias!, A = g.attr_emb!;
    for (let u = 0; u < step.touchedCount; u++) { const i = step.rows[u]!; E.fill(0, i * dim, i * dim + dim); b[i] = 0; }
    const stamp = step.currentStamp;
    for (let a = 0; a < step.attrStamp.length; a++) if (step.attrStamp[a] === stamp) A.fill(0, a * dim, a * dim + dim);
    for (const k of SHARED_DENSE_WEIGHTS) if (!names.includes(k)) g[k]!.fill(0);
  }
}

/**
 * Trains from `base` on `seqs` and returns the delta in `layout` order. Throws when the gradient stops being
 * finite (the caller then sends nothing).
 */
export function localTrain(
  dims: ModelDims, base: Weights, attrs: { attrOffsets: Int32Array; attrIds: Int32Array },
  seqs: Sequence[], layout: Layout, o: LocalTrainOptions,
): LocalTrainResult {
  return new LocalTrainer(dims, base, attrs, layout, o).train(seqs);
}
