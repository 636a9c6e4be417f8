import * as tf from '@tensorflow/tfjs-core';
import type { AttrTable } from './attr-table.js';
import { need, type TfWeights } from './weights.js';

/**
 * itemRep for the given item rows: item_emb[row] + (mean of its attribute embeddings)·attr_tr (spec.ts). Differentiable:
 * the trainer path calls it inside `tf.variableGrads`. `table` holds one padded attribute row per entry of
 * `rows` (not per catalog row), so cold items can carry their own attributes with `rows[i] = 0`.
 */
export function itemReps(w: TfWeights, rows: Int32Array, table: AttrTable): tf.Tensor2D {
  return tf.tidy(() => {
    const n = rows.length;
    const dim = need(w, 'item_emb').shape[1] as number;
    const ids = tf.gather(need(w, 'item_emb'), tf.tensor1d(rows, 'int32')) as tf.Tensor2D;
    const attrs = tf.reshape(tf.gather(need(w, 'attr_emb'), tf.tensor1d(table.idx, 'int32')), [n, table.width, dim]);
    const mean = tf.sum(tf.mul(attrs, tf.tensor3d(table.w, [n, table.width, 1])), 1) as tf.Tensor2D;
    return tf.add(ids, tf.matMul(mean, need(w, 'attr_tr') as tf.Tensor2D));
  });
}

/**
 * One fused GRU cell for a batch (gate order r, z, n; PyTorch formulation of spec.ts). `gx` is the already
 * computed input projection x·Wx + bx (B, 3h): precomputing it for a whole sequence in one matMul leaves only
 * h·Wh inside the recurrence. r and z share one add and one sigmoid over a (B, 2h) slice.
 */
export function gruCell(gx: tf.Tensor2D, h: tf.Tensor2D, wh: tf.Tensor2D, bh: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const H = h.shape[1];
    // Few, larger kernels: per-op overhead, not arithmetic, dominates a single step at h = 64.
    const gh = tf.fused.matMul({ a: h, b: wh, bias: bh }) as tf.Tensor2D;
    const [gxRz, gxN] = tf.split(gx, [2 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D];
    const [ghRz, ghN] = tf.split(gh, [2 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D];
    const [r, z] = tf.split(tf.sigmoid(tf.add(gxRz, ghRz)), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const n = tf.tanh(tf.add(gxN, tf.mul(r, ghN)));
    // (1 − z) ⊙ n + z ⊙ h, written with one fewer op.
    return tf.add(n, tf.mul(z, tf.sub(h, n)));
  });
}

/** GRU inputs x = itemRep + event_emb[kind] + gap_emb[gap] (T rows). */
export function inputs(w: TfWeights, reps: tf.Tensor2D, kinds: Int32Array, gaps: Int32Array): tf.Tensor2D {
  return tf.tidy(() => {
    const ev = tf.gather(need(w, 'event_emb'), tf.tensor1d(kinds, 'int32'));
    const gp = tf.gather(need(w, 'gap_emb'), tf.tensor1d(gaps, 'int32'));
    return tf.add(tf.add(reps, ev), gp) as tf.Tensor2D;
  });
}
