import * as tf from '@tensorflow/tfjs-core';

/** Fixed inputs of the correctness probe: small integers scaled, so every backend sees exact float32 values. */
const A = Float32Array.from({ length: 4 * 8 }, (_, i) => ((i * 7) % 11) / 8 - 0.6);
const B = Float32Array.from({ length: 8 * 6 }, (_, i) => ((i * 5) % 13) / 10 - 0.55);
const BIAS = Float32Array.from({ length: 6 }, (_, i) => i / 10 - 0.25);
const ROWS = Int32Array.of(3, 0, 2);

/** The probe's expected output, computed in plain JS: sigmoid(A·B + bias) for rows 3, 0, 2, then tanh of each. */
function expected(): Float32Array {
  const out = new Float32Array(ROWS.length * 6);
  ROWS.forEach((r, k) => {
    for (let j = 0; j < 6; j++) {
      let s = BIAS[j] as number;
      for (let i = 0; i < 8; i++) s += (A[r * 8 + i] as number) * (B[i * 6 + j] as number);
      out[k * 6 + j] = Math.tanh(1 / (1 + Math.exp(-s)));
    }
  });
  return out;
}

/**
 * Correctness check of the active backend against known outputs: matMul + bias + sigmoid + int32 gather + tanh,
 * the ops the model's step depends on. Returns the largest absolute error.
 */
export async function correctnessError(): Promise<number> {
  const t = tf.tidy(() => {
    const y = tf.sigmoid(tf.add(tf.matMul(tf.tensor2d(A, [4, 8]), tf.tensor2d(B, [8, 6])), tf.tensor1d(BIAS)));
    return tf.tanh(tf.gather(y, tf.tensor1d(ROWS, 'int32')));
  });
  const got = (await t.data()) as Float32Array;
  t.dispose();
  const want = expected();
  let err = got.length === want.length ? 0 : Infinity;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs((got[i] as number) - (want[i] as number)));
  return Number.isNaN(err) ? Infinity : err;
}

/**
 * Speed probe shaped like one model step plus scoring 200 candidates (d = h = 64): two matMuls, gate
 * nonlinearities and one read back. Returns the median over `runs` after `warmup` runs (shader compilation
 * and wasm tier-up happen in the warm-up).
 */
export async function speedProbeMs(runs = 15, warmup = 3): Promise<number> {
  const keep = tf.tidy(() => ({
    x: tf.randomUniform([1, 64], -1, 1, 'float32', 1),
    wx: tf.randomUniform([64, 192], -0.1, 0.1, 'float32', 2),
    cands: tf.randomUniform([200, 64], -1, 1, 'float32', 3),
  }));
  const times: number[] = [];
  try {
    for (let i = 0; i < runs + warmup; i++) {
      const t0 = performance.now();
      const s = tf.tidy(() => {
        const g = tf.matMul(keep.x, keep.wx);
        const h = tf.mul(tf.sigmoid(tf.slice(g, [0, 0], [1, 64])), tf.tanh(tf.slice(g, [0, 128], [1, 64])));
        return tf.matMul(keep.cands, h, false, true);
      });
      await s.data();
      s.dispose();
      if (i >= warmup) times.push(performance.now() - t0);
    }
  } finally {
    tf.dispose([keep.x, keep.wx, keep.cands]);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}
