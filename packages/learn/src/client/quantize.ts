/**
 * int8 quantisation with unbiased stochastic rounding (E[dequantise(q)] = x): each value x/scale is rounded
 * down or up with probabilities that make the expectation exact, so quantisation adds zero-mean noise and
 * the server's average stays unbiased. One scale per segment (per tensor of the layout), scale = max|x| / 127.
 */
import type { Rng } from '../privacy/rng.js';

export interface QuantizedInt8 {
  /** One scale per segment; value = q * scale. */
  scales: Float32Array;
  q: Int8Array;
}

/**
 * Quantises `delta` to int8. `offsets` are the start offsets of the segments (default: one segment);
 * pass `layout.offsets` for one scale per tensor.
 */
export function quantizeInt8Stochastic(delta: Float32Array, rng: Rng, offsets: readonly number[] = [0]): QuantizedInt8 {
  const q = new Int8Array(delta.length);
  const scales = new Float32Array(offsets.length);
  for (let s = 0; s < offsets.length; s++) {
    const start = offsets[s]!, end = s + 1 < offsets.length ? offsets[s + 1]! : delta.length;
    let max = 0;
    for (let i = start; i < end; i++) {
      const a = Math.abs(delta[i]!);
      if (!Number.isFinite(a)) throw new Error('quantizeInt8Stochastic: non-finite value');
      if (a > max) max = a;
    }
    // Round the scale to float32 first: the wire carries float32, and rounding against the carried scale
    // is what keeps the dequantised expectation exact.
    const scale = Math.fround(max / 127);
    scales[s] = scale;
    if (scale === 0) continue;
    for (let i = start; i < end; i++) {
      const t = delta[i]! / scale;
      const lo = Math.floor(t);
      const v = rng.next() < t - lo ? lo + 1 : lo;
      q[i] = Math.max(-127, Math.min(127, v));
    }
  }
  return { scales, q };
}

/** Inverse of `quantizeInt8Stochastic` (same `offsets`). */
export function dequantizeInt8(qz: QuantizedInt8, offsets: readonly number[] = [0]): Float32Array {
  const { q, scales } = qz;
  if (scales.length !== offsets.length) throw new Error('dequantizeInt8: one scale per segment expected');
  const out = new Float32Array(q.length);
  for (let s = 0; s < offsets.length; s++) {
    const start = offsets[s]!, end = s + 1 < offsets.length ? offsets[s + 1]! : q.length;
    const scale = scales[s]!;
    for (let i = start; i < end; i++) out[i] = q[i]! * scale;
  }
  return out;
}
