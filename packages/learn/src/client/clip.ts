/** L2 clipping: bounds one device's influence on the aggregate (the sensitivity the DP noise is scaled to). */

/** Euclidean norm, accumulated in float64. */
export function l2Norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/**
 * Returns a copy of `delta` scaled down so that its L2 norm is at most `C` (unchanged if already within).
 * The factor is computed in float64 and nudged down by one float32 ulp so float32 rounding cannot push the
 * clipped norm above `C`.
 */
export function clipByL2(delta: Float32Array, C: number): Float32Array {
  if (!(C > 0) || !Number.isFinite(C)) throw new Error(`clipByL2: bound must be a positive finite number, got ${C}`);
  const norm = l2Norm(delta);
  if (!Number.isFinite(norm)) throw new Error('clipByL2: delta has non-finite values');
  const out = new Float32Array(delta);
  if (norm <= C) return out;
  const f = (C / norm) * (1 - 2 ** -23);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * f;
  return out;
}
