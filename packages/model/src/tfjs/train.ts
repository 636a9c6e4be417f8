import * as tf from '@tensorflow/tfjs-core';
import { EVENT_KINDS } from '../spec.js';
import { buildAttrTable } from './attr-table.js';
import type { TfGruModel } from './model.js';
import { gruCell, itemReps, query } from './ops.js';
import { makeSampler, mulberry32, prepareBatch, type PreparedBatch, type Sampler, type TrainSequence } from './train-batch.js';
import { registerFastSegmentSum } from './segment-sum.js';
import { need } from './weights.js';
import type { LossConfig } from '../plain/batch.js';

/** Loss settings are the plain trainer's (`LossConfig`, same meaning), plus the optimiser's. */
export interface TfTrainConfig extends LossConfig {
  lr: number;
  /** Global gradient-norm clip (0 = off). */
  clip: number;
  seed: number;
}

export const TF_TRAIN_DEFAULTS: TfTrainConfig = { lr: 0.002, negatives: 1024, negAlpha: 0.5, dropoutIn: 0.3, dropoutOut: 0.2, intentWeight: 0.1, categoryWeight: 0.1, maxLen: 50, clip: 5, seed: 1 };

export interface TfTrainerOptions {
  /** Category row of each item (length V + 1; 0 = unknown): enables the category-intent loss. */
  itemCategory?: ArrayLike<number> | null;
  /** True when event kinds are real (enables the purchase-intent loss). */
  typed?: boolean;
  config?: Partial<TfTrainConfig>;
}

const PURCHASE = EVENT_KINDS.indexOf('purchase');

/**
 * Training in TensorFlow.js with the plain trainer's loss: sampled softmax cross-entropy over in-batch targets
 * plus popularity-sampled negatives with logQ correction, dropout on inputs and on the state fed to the heads,
 * optional purchase-intent (BCE) and category-intent (CE) losses, Adam, global-norm clipping. Gradients come
 * from tfjs autodiff, so gradient kernels must be registered by the caller: in a bundle import
 * '@tensorflow/tfjs-core/dist/register_all_gradients', in Node import '@tensorflow/tfjs'.
 */
export class TfTrainer {
  readonly config: TfTrainConfig;
  private readonly sampler: Sampler;
  private readonly rnd: () => number;
  private readonly optimizer: tf.Optimizer;

  constructor(private readonly model: TfGruModel, counts: ArrayLike<number>, private readonly opts: TfTrainerOptions = {}) {
    if (!tf.getGradient('GatherV2')) throw new Error("TfTrainer: tfjs gradients are not registered (import '@tensorflow/tfjs-core/dist/register_all_gradients', or '@tensorflow/tfjs' in Node)");
    if (counts.length !== model.dims.numItems + 1) throw new Error(`TfTrainer: counts has ${counts.length} rows, expected ${model.dims.numItems + 1}`);
    registerFastSegmentSum(); // the gather gradient on cpu and wasm (see segment-sum.ts)
    this.config = { ...TF_TRAIN_DEFAULTS, ...opts.config };
    this.sampler = makeSampler(counts, this.config.negAlpha);
    this.rnd = mulberry32(this.config.seed);
    this.optimizer = tf.train.adam(this.config.lr, 0.9, 0.999, 1e-8);
  }

  /** Lays out a batch (sampling its negatives); exposed so a loss can be evaluated on a fixed batch. */
  prepare(batch: readonly TrainSequence[]): PreparedBatch {
    const c = this.config;
    return prepareBatch(batch, this.model.dims.numItems, this.sampler, c.negatives, c.maxLen, this.rnd, PURCHASE, this.opts.itemCategory ?? null);
  }

  /** One optimiser step on a batch of sequences; returns the mean loss per position before the update. */
  async trainStep(batch: readonly TrainSequence[]): Promise<{ loss: number; positions: number; gradNorm: number }> {
    const p = this.prepare(batch);
    if (p.P === 0) return { loss: 0, positions: 0, gradNorm: 0 };
    const masks = this.dropoutMasks(p);
    const vars = Object.values(this.model.vars);
    const { value, grads } = tf.variableGrads(() => this.loss(p, masks), vars);
    const [loss, norm] = [(await value.data())[0] as number, tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))))];
    const gradNorm = (await norm.data())[0] as number;
    norm.dispose();
    value.dispose();
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      tf.dispose(Object.values(grads));
      throw new Error(`tfjs training diverged: loss ${loss}, gradient norm ${gradNorm}`);
    }
    const scale = this.config.clip > 0 && gradNorm > this.config.clip ? this.config.clip / gradNorm : 1;
    const scaled = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, scale === 1 ? tf.clone(g) : tf.mul(g, scale)])));
    tf.dispose(Object.values(grads));
    this.optimizer.applyGradients(scaled as tf.NamedTensorMap);
    tf.dispose(Object.values(scaled));
    this.model.invalidate();
    return { loss, positions: p.P, gradNorm };
  }

  /** Mean loss of a prepared batch with optional dropout masks (no update). Runs inside the caller's tidy/grad. */
  loss(p: PreparedBatch, masks?: { x: Float32Array; h: Float32Array }): tf.Scalar {
    const w = this.model.vars;
    const { dim: d, hidden: H } = this.model.dims;
    const c = this.config;
    return tf.tidy(() => {
      const lists = Array.from(p.rowsU, (r) => this.catalogAttrs(r));
      const repsU = itemReps(w, p.rowsU, buildAttrTable(lists, this.model.dims.numAttrs));
      let x = tf.add(tf.add(tf.gather(repsU, tf.tensor1d(p.inLocal, 'int32')), tf.gather(need(w, 'event_emb'), tf.tensor1d(p.kinds, 'int32'))), tf.gather(need(w, 'gap_emb'), tf.tensor1d(p.gaps, 'int32')));
      if (masks) x = tf.mul(x, tf.tensor2d(masks.x, [p.B * p.T, d]));
      const gx = tf.reshape(tf.add(tf.matMul(x as tf.Tensor2D, need(w, 'gru_wx') as tf.Tensor2D), need(w, 'gru_bx')), [p.B, p.T, 3 * H]);
      let h = tf.zeros([p.B, H]) as tf.Tensor2D;
      const hs: tf.Tensor2D[] = [];
      for (let t = 0; t < p.T; t++) {
        h = gruCell(tf.reshape(tf.slice(gx, [0, t, 0], [p.B, 1, 3 * H]), [p.B, 3 * H]), h, need(w, 'gru_wh') as tf.Tensor2D, need(w, 'gru_bh') as tf.Tensor1D);
        hs.push(h);
      }
      let hv = tf.gather(tf.reshape(tf.stack(hs, 1), [p.B * p.T, H]), tf.tensor1d(p.valid, 'int32')) as tf.Tensor2D;
      if (masks) hv = tf.mul(hv, tf.tensor2d(masks.h, [p.P, H]));
      // input skip (spec v2): the (dropped-out) input of each predicting position reaches the query directly
      const xv = tf.gather(x, tf.tensor1d(p.valid, 'int32')) as tf.Tensor2D;
      const q = query(w, hv, xv);
      const rc = tf.gather(repsU, tf.tensor1d(p.candLocal, 'int32')) as tf.Tensor2D;
      const bc = tf.sub(tf.gather(need(w, 'item_bias'), tf.tensor1d(p.candRows, 'int32')), tf.tensor1d(p.candLogQ));
      const logits = tf.add(tf.matMul(q, rc, false, true), bc);
      const picked = tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(p.tgtCol, 'int32'), p.candRows.length)), 1);
      let loss = tf.mean(tf.sub(tf.logSumExp(logits, 1), picked));
      if (this.opts.typed && c.intentWeight > 0) {
        const z = tf.add(tf.sum(tf.mul(hv, need(w, 'intent_w')), 1), need(w, 'intent_b'));
        const y = tf.tensor1d(p.buyLater);
        // BCE with logits, stable form: max(z, 0) − z·y + log(1 + e^(−|z|)).
        const bce = tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log(tf.add(1, tf.exp(tf.neg(tf.abs(z))))));
        loss = tf.add(loss, tf.mul(c.intentWeight, tf.mean(bce)));
      }
      if (this.opts.itemCategory && this.model.dims.numCategories > 1 && c.categoryWeight > 0) {
        const cl = tf.add(tf.matMul(hv, need(w, 'cat_w') as tf.Tensor2D), need(w, 'cat_b'));
        const lab = tf.tensor1d(p.catLabel, 'int32');
        const ce = tf.sub(tf.logSumExp(cl, 1), tf.sum(tf.mul(cl, tf.oneHot(lab, this.model.dims.numCategories)), 1));
        const known = tf.cast(tf.greater(lab, 0), 'float32'); // unknown category: no loss, still divided by P like the plain trainer
        loss = tf.add(loss, tf.mul(c.categoryWeight, tf.mean(tf.mul(ce, known))));
      }
      return loss as tf.Scalar;
    });
  }

  /** Frees the optimiser's slots. The model stays usable. */
  dispose(): void {
    this.optimizer.dispose();
  }

  private dropoutMasks(p: PreparedBatch): { x: Float32Array; h: Float32Array } | undefined {
    const { dropoutIn: di, dropoutOut: dout } = this.config;
    if (di <= 0 && dout <= 0) return undefined;
    const mask = (n: number, rate: number) => Float32Array.from({ length: n }, () => (rate > 0 && this.rnd() < rate ? 0 : 1 / (1 - rate)));
    return { x: mask(p.B * p.T * this.model.dims.dim, di), h: mask(p.P * this.model.dims.hidden, dout) };
  }

  private catalogAttrs(row: number): number[] {
    const { idx, width } = this.model.catalog;
    return Array.from(idx.subarray(row * width, (row + 1) * width)).filter((a) => a > 0);
  }
}
