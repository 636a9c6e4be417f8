/**
 * One federated client's local training, as the SDK worker would run it: start from the global model, train for
 * a few local epochs on the device's own training prefix with plain SGD on the shared dense weights only (item
 * and attribute embeddings and item_bias stay frozen: they are never uploaded, so changing them locally would
 * only make the uploaded delta fit embeddings the server never sees), and return the flat dense delta.
 *
 * One instance is reused for every client of a simulation: the BatchStep's V-sized buffers are allocated once.
 */
import type { Sequence } from '@perch/model/data/types.js';
import { BatchStep, type LossConfig } from '@perch/model/plain/batch.js';
import { PlainModel } from '@perch/model/plain/model.js';
import { Rng } from '@perch/model/plain/rng.js';
import { zeroWeights } from '@perch/model/plain/weights.js';
import { flattenShared, type Layout } from '@perch/model/privacy/flatten.js';
import { SHARED_DENSE_WEIGHTS, type ModelDims, type Weights } from '@perch/model/spec.js';

export interface LocalOptions {
  /** Local passes over the client's own sequence (one SGD step each: the sequence is one batch). */
  localEpochs: number;
  /** Client SGD learning rate. */
  clientLr: number;
  /** Per-step gradient-norm clip on the dense gradient (0 = off), a stability guard like the trainer's. */
  gradClip: number;
  /**
   * Sampled negatives per local step (drawn from the pretraining popularity, log-Q corrected); default 1,024,
   * the trainer's. Local steps use the trainer's loss otherwise too (dropout included): in scratch runs on
   * Beauty, 256 negatives without dropout (the SDK's LOCAL_LOSS) made FedAdam drift below the start, where
   * the trainer's loss improved on it (docs/federated.md).
   */
  localNegatives: number;
}

/** The loss a simulated device trains with: the trainer's, with `localNegatives` negatives. */
export const localLoss = (loss: LossConfig, o: Pick<LocalOptions, 'localNegatives'>): LossConfig => ({ ...loss, negatives: o.localNegatives });

export class LocalTrainer {
  private readonly model: PlainModel;
  private readonly grads: Weights;
  private readonly step: BatchStep;
  private readonly base: Float32Array;

  /**
   * `global` holds the full weights; its embedding tensors are shared by reference (read-only here), its dense
   * tensors are copied before every client. `counts` is the popularity the negatives are sampled from.
   */
  constructor(dims: ModelDims, private readonly global: Weights, attrs: { attrOffsets: Int32Array; attrIds: Int32Array },
    private readonly layout: Layout, loss: LossConfig, counts: Float64Array, seed: number, private readonly o: LocalOptions) {
    const w: Weights = { ...global };
    for (const k of SHARED_DENSE_WEIGHTS) w[k] = global[k]!.slice();
    this.model = new PlainModel(dims, w, attrs);
    this.grads = zeroWeights(dims);
    this.step = new BatchStep(this.model, this.grads, localLoss(loss, o), new Rng(seed), counts, null, false);
    this.step.frozenRows = true; // frozen embeddings: no row gradients to compute or clear
    this.base = new Float32Array(layout.size);
  }

  /** Trains on `seq` from the current global weights; returns the flat dense delta and the positions seen. */
  train(seq: Sequence): { delta: Float32Array; positions: number } {
    const { model, grads, o } = this;
    for (const k of SHARED_DENSE_WEIGHTS) model.w[k]!.set(this.global[k]!);
    this.base.set(flattenShared(model.w, this.layout));
    let positions = 0;
    for (let e = 0; e < o.localEpochs; e++) {
      positions = this.step.run([seq]).positions;
      let sq = 0;
      for (const k of SHARED_DENSE_WEIGHTS) for (const v of grads[k]!) sq += v * v;
      const norm = Math.sqrt(sq);
      if (!Number.isFinite(norm)) throw new Error('local training diverged: non-finite gradient');
      const f = o.clientLr * (o.gradClip > 0 && norm > o.gradClip ? o.gradClip / norm : 1);
      for (const k of SHARED_DENSE_WEIGHTS) {
        const w = model.w[k]!, g = grads[k]!;
        for (let i = 0; i < w.length; i++) { w[i] = w[i]! - f * g[i]!; g[i] = 0; }
      }
    }
    const delta = flattenShared(model.w, this.layout);
    for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! - this.base[i]!;
    return { delta, positions };
  }
}
