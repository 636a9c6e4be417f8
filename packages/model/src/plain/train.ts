import type { Split } from '../data/split.js';
import type { Dataset, Sequence } from '../data/types.js';
import { popularity } from '../eval/baselines/common.js';
import { evaluate } from '../eval/evaluate.js';
import type { Metrics } from '../eval/metrics.js';
import type { ModelDims, Weights } from '../spec.js';
import { Adam, type Touched } from './adam.js';
import { BatchStep, NegativeSampler, planBatch, positionsOf, type LossConfig } from './batch.js';
import { PlainModel } from './model.js';
import { Rng } from '../rng.js';
import { hashAttributes, idRowMask } from '../catalog/rows.js';
import { ModelScorer } from './scorer.js';
import { assertFinite, initWeights, zeroWeights } from './weights.js';

/** Hyper-parameters of a training run (see DEFAULTS and docs/model.md). */
export interface TrainOptions extends LossConfig {
  dim: number;
  hidden: number;
  lr: number;
  /** Positions (predicted events) per batch. */
  batchPositions: number;
  maxEpochs: number;
  /**
   * Stop after this many epochs without a better validation NDCG@20 (each miss multiplies the learning rate by missDecay).
   * Within a run the learning rate decays linearly to 10 % over maxEpochs.
   */
  patience: number;
  /** The learning rate is multiplied by this after an epoch without improvement (1 = only the linear decay). */
  missDecay: number;
  /** L2 on the embedding rows a batch touches. */
  l2: number;
  /** Global gradient-norm clip (0 = off). */
  clip: number;
  seed: number;
  /**
   * Optional wall-clock budget in seconds (0 = none): no epoch starts that would overrun it. A run it stops
   * depends on the machine's speed and load, so it is off by default and `TrainResult.stoppedBy` says so.
   */
  maxSeconds: number;
  /** At most this many validation cases are scored per epoch for early stopping (see `stoppingCases`). */
  maxValCases: number;
  /**
   * Item representation (docs/model.md, "Catalogue size"): the model's size is bounded whatever the catalogue.
   * `attrBuckets` caps the attribute rows: a dataset with more distinct attribute names than that (or any, with
   * `hashAttrs` 1) has them hashed into `attrBuckets` rows (`hashAttributes`); 0 = one row per name, uncapped.
   * `idRows` caps the items with an id row of their own (the most frequent; 0 = every item) and `idMinCount` > 0
   * keeps one only for items with at least that many training occurrences (`idRowMask`): every other item is its
   * attributes alone, as an item new to the catalogue is.
   */
  attrBuckets: number;
  hashAttrs: number;
  idRows: number;
  idMinCount: number;
}

/**
 * Defaults: chosen on Beauty's validation split (docs/experiments/2026-12-07-clean-protocol-fast-trainer.md), for
 * catalogs of thousands to tens of thousands of items rather than for one dataset. The item table's caps come from
 * the 2 MB download budget (docs/model.md, "Catalogue size"); `idMinCount` was chosen on Beauty's validation split,
 * with the targets rare in training as a guard (docs/experiments/2026-12-07-id-row-threshold-on-validation.md).
 */
export const DEFAULTS: TrainOptions = {
  dim: 64, hidden: 64, lr: 0.005, batchPositions: 256, maxEpochs: 30, patience: 3, missDecay: 0.5, l2: 0, clip: 5, seed: 1,
  maxSeconds: 0, maxValCases: 5000, attrBuckets: 8192, hashAttrs: 0, idRows: 12_288, idMinCount: 1,
  negatives: 1024, negAlpha: 0.5, dropoutIn: 0.5, dropoutOut: 0.5, intentWeight: 0.1, categoryWeight: 0.1, maxLen: 50,
};

/** One epoch's record (for the log and the training-curve plot). */
export interface EpochLog { epoch: number; loss: number; val: Metrics; lr: number; seconds: number }

/** Progress callbacks, all optional. */
export interface TrainHooks {
  onBatch?(epoch: number, done: number, total: number, loss: number): void;
  onEpoch?(log: EpochLog): void;
}

/** The outcome of a run: the best (early-stopped) model and what happened. */
export interface TrainResult {
  model: PlainModel;
  history: EpochLog[];
  bestEpoch: number;
  trainSeconds: number;
  /** Training events (predicted positions) per second of gradient computation and update (validation excluded). */
  eventsPerSecond: number;
  /** Why training ended: early stopping, the epoch limit, or the optional time budget (not reproducible). */
  stoppedBy: 'patience' | 'max-epochs' | 'time';
  /** The dataset as the model sees it (its attribute rows hashed when `attrHashed`). */
  dataset: Dataset;
  /** Whether attribute names were hashed into `attrBuckets` rows. */
  attrHashed: boolean;
  /** Items with an id row of their own (null: all of them). */
  idRowMask: Uint8Array | null;
}

/**
 * Computes a batch's gradients into `grads` (the trainer's accumulators). The default runs a BatchStep in this
 * thread; the Node trainer plugs in a worker_threads version. `touched` reports the embedding rows to update.
 */
export interface GradEngine {
  run(batch: Sequence[]): Promise<{ loss: number; positions: number }> | { loss: number; positions: number };
  touched(): Touched;
  close?(): Promise<void> | void;
}

/** Everything an engine needs to build its own BatchStep(s). */
export interface EngineContext {
  model: PlainModel;
  grads: Weights;
  opts: TrainOptions;
  rng: Rng;
  counts: Float64Array;
  ds: Dataset;
  train: Sequence[];
}

/**
 * The single-threaded engine. Like the worker-thread one, it draws each batch's plan (negatives, dropout seeds)
 * from the trainer's generator, so a seed gives the same model on any number of threads up to the order in which
 * the threads' partial gradients are summed.
 */
export function localEngine(c: EngineContext): GradEngine {
  const step = new BatchStep(c.model, c.grads, c.opts, c.rng, c.counts, c.ds.itemCategory, c.ds.typedEvents);
  const sampler = new NegativeSampler(c.counts, c.model.dims.numItems, c.opts.negAlpha);
  return {
    run: (batch) => step.run(batch, planBatch(batch, c.opts, sampler, c.rng)),
    touched: () => ({ itemRows: step.rows, itemCount: step.touchedCount, attrStamp: step.attrStamp, stamp: step.currentStamp }),
  };
}

/**
 * Splits the validation cases in two fixed halves (by a fixed generator, so every seed and setting sees the same
 * ones): early stopping scores the first `max` cases of one half (`stop`) every epoch, and `perch eval --split val`
 * reports on the other half (`rest`), whatever `max` is. Tuning figures are then never those of the cases that
 * chose the epoch, and the test cases are never read. A single validation case is used for stopping.
 */
export function stoppingCases<T>(val: readonly T[], max: number): { stop: T[]; rest: T[] } {
  const half = val.length < 2 ? val.length : Math.floor(val.length / 2);
  const order = new Rng(7).shuffle(val.map((_, i) => i));
  const inStop = new Uint8Array(val.length);
  for (let i = 0; i < half; i++) inStop[order[i]!] = 1;
  return { stop: order.slice(0, Math.min(max, half)).map((i) => val[i]!), rest: val.filter((_, i) => !inStop[i]) };
}

/** Thrown when the loss or the gradient becomes NaN/Inf: nothing must be written from such a run. */
export class DivergedError extends Error {}

/** Model dimensions for a dataset. */
export function dimsFor(ds: Dataset, o: Pick<TrainOptions, 'dim' | 'hidden'>): ModelDims {
  return { numItems: ds.vocab.length - 1, numAttrs: ds.attrVocab.length - 1, numCategories: ds.categories.length, dim: o.dim, hidden: o.hidden };
}

const copyWeights = (w: Weights): Weights => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v.slice()]));

/**
 * Trains on split.train with early stopping on a fixed seeded sample of split.val. Deterministic for a seed:
 * the schedule counts epochs and batches, never seconds (unless `maxSeconds` is set), and both engines draw the
 * same plans, so the thread count changes only the summation order of partial gradients.
 */
export async function train(ds: Dataset, split: Split, opts: Partial<TrainOptions> = {}, hooks: TrainHooks = {},
  makeEngine: (c: EngineContext) => GradEngine | Promise<GradEngine> = localEngine): Promise<TrainResult> {
  const o: TrainOptions = { ...DEFAULTS, ...opts };
  const attrHashed = o.attrBuckets > 0 && (o.hashAttrs > 0 || ds.attrVocab.length - 1 > o.attrBuckets);
  const data = attrHashed ? hashAttributes(ds, o.attrBuckets) : ds;
  const dims = dimsFor(data, o);
  const rng = new Rng(o.seed);
  const model = new PlainModel(dims, initWeights(dims, rng), { attrOffsets: data.attrOffsets, attrIds: data.attrIds });
  const grads = zeroWeights(dims);
  const seqs = split.train.filter((s) => s.items.length >= 2);
  const counts = popularity(split.train, dims.numItems);
  const keep = idRowMask(counts, o.idRows, o.idMinCount);
  if (keep) withoutIdRows(model.w, keep, dims.dim);
  const engine = await makeEngine({ model, grads, opts: o, rng, counts, ds: data, train: seqs });
  const adam = new Adam(model.w, dims.dim);
  const val = stoppingCases(split.val, o.maxValCases).stop;
  const history: EpochLog[] = [];
  let best = -Infinity, bestEpoch = 0, bestW = copyWeights(model.w), misses = 0, lrBase = o.lr, lr = o.lr, events = 0, batchSeconds = 0;
  let stoppedBy: TrainResult['stoppedBy'] = 'max-epochs';
  const t0 = performance.now();
  try {
  for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
    const te = performance.now();
    const order = rng.shuffle(seqs.slice());
    let lossSum = 0, posSum = 0;
    const tb = performance.now();
    for (let i = 0, b = 0; i < order.length; b++) {
      // linear decay to 10 % over maxEpochs
      lr = lrBase * (1 - 0.9 * Math.min(1, (epoch - 1 + i / order.length) / o.maxEpochs));
      const batch = [];
      let pos = 0;
      while (i < order.length && pos < o.batchPositions) { const s = order[i++]!; batch.push(s); pos += positionsOf(s, o.maxLen); }
      const { loss, positions } = await engine.run(batch);
      if (keep) withoutIdRows(grads, keep, dims.dim, engine.touched());
      if (!Number.isFinite(loss)) throw new DivergedError(`training diverged: loss is ${loss} at epoch ${epoch}, batch ${b + 1} (try a lower learning rate than ${lr})`);
      const norm = adam.step(grads, lr, engine.touched(), o.l2, o.clip);
      if (!Number.isFinite(norm)) throw new DivergedError(`training diverged: gradient norm is ${norm} at epoch ${epoch}, batch ${b + 1} (try a lower learning rate than ${lr})`);
      lossSum += loss * positions; posSum += positions;
      hooks.onBatch?.(epoch, i, order.length, lossSum / Math.max(1, posSum));
    }
    events += posSum;
    batchSeconds += (performance.now() - tb) / 1000;
    model.invalidate();
    assertFiniteOrThrow(model.w, epoch);
    const metrics = evaluate(new ModelScorer(model, o.maxLen), val, dims.numItems);
    const log: EpochLog = { epoch, loss: lossSum / Math.max(1, posSum), val: metrics, lr, seconds: (performance.now() - te) / 1000 };
    history.push(log);
    hooks.onEpoch?.(log);
    const score = metrics['NDCG@20']!;
    if (score > best) { best = score; bestEpoch = epoch; bestW = copyWeights(model.w); misses = 0; }
    else if (++misses >= o.patience) { stoppedBy = 'patience'; break; }
    else lrBase *= o.missDecay;
    // the optional budget: stop when another epoch like the last one would overrun it
    if (o.maxSeconds > 0 && epoch < o.maxEpochs && (performance.now() - t0) / 1000 + log.seconds > o.maxSeconds) { stoppedBy = 'time'; break; }
  }
  } finally { await engine.close?.(); }
  for (const [k, v] of Object.entries(bestW)) model.w[k]!.set(v);
  model.invalidate();
  const trainSeconds = (performance.now() - t0) / 1000;
  return { model, history, bestEpoch, trainSeconds, eventsPerSecond: events / Math.max(1e-9, batchSeconds), stoppedBy, dataset: data, attrHashed, idRowMask: keep };
}

/**
 * Zeroes the id rows (`item_emb`, `item_bias`) of the items `keep` leaves out: in the weights at the start, in
 * the gradients after every batch (only the rows it touched), so those rows stay zero and Adam, whose moments
 * start at zero, never moves them.
 */
function withoutIdRows(w: Weights, keep: Uint8Array, d: number, touched?: Touched): void {
  const E = w.item_emb!, b = w.item_bias!;
  const clear = (i: number): void => { if (!keep[i]) { E.fill(0, i * d, i * d + d); b[i] = 0; } };
  if (touched) for (let r = 0; r < touched.itemCount; r++) clear(touched.itemRows[r]!);
  else for (let i = 0; i < keep.length; i++) clear(i);
}

function assertFiniteOrThrow(w: Weights, epoch: number): void {
  try { assertFinite(w); } catch (e) { throw new DivergedError(`${(e as Error).message} (epoch ${epoch})`); }
}
