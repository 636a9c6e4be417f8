import * as tf from '@tensorflow/tfjs-core';
import { EVENT_KINDS, GAP_BUCKETS_S } from '../spec.js';
import { need, type TfWeights } from './weights.js';

/**
 * Derived tensors that cut the per-event op count of inference (on cpu and wasm, per-op overhead, not
 * arithmetic, dominates one step): rebuilt whenever the weights change.
 * - `input`: rows 0..V = itemRep, then one row per (kind, gap) = event_emb[kind] + gap_emb[gap], so the GRU input
 *   x = itemRep(i) + event_emb[k] + gap_emb[g] is one gather of two rows and one sum.
 * - `catalog`: [itemRep | item_bias] (V+1, d+1) and `outW`/`outB` = [out_w | 0], [out_b | 1], so that
 *   [q | 1] · [rep | bias] = q·rep + bias: a candidate's score is one gather and one matMul.
 */
export interface InferTables {
  input: tf.Tensor2D;
  catalog: tf.Tensor2D;
  outW: tf.Tensor2D;
  outB: tf.Tensor1D;
}

const GAPS = GAP_BUCKETS_S.length;

/** Row of `input` holding event_emb[kind] + gap_emb[gap]. */
export const eventRow = (numItems: number, kind: number, gap: number): number => numItems + 1 + kind * GAPS + gap;

export function buildInferTables(w: TfWeights, reps: tf.Tensor2D): InferTables {
  return tf.tidy(() => {
    const d = reps.shape[1];
    const ev = tf.reshape(tf.add(tf.expandDims(need(w, 'event_emb'), 1), tf.expandDims(need(w, 'gap_emb'), 0)), [EVENT_KINDS.length * GAPS, d]);
    return {
      input: tf.concat([reps, ev], 0) as tf.Tensor2D,
      catalog: tf.concat([reps, tf.expandDims(need(w, 'item_bias'), 1)], 1) as tf.Tensor2D,
      outW: tf.pad(need(w, 'out_w'), [[0, 0], [0, 1]]) as tf.Tensor2D,
      outB: tf.concat([need(w, 'out_b'), tf.ones([1])]) as tf.Tensor1D,
    };
  });
}

export function disposeInferTables(t: InferTables | null): void {
  if (t) tf.dispose([t.input, t.catalog, t.outW, t.outB]);
}
