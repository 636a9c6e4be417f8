/**
 * Symmetric int8 quantisation with one float32 scale per row (per tensor for 1-D tensors):
 * q = round(x / s), s = max|row| / 127, x̂ = q·s. Rounding to nearest bounds the error of every value by s/2,
 * i.e. by max|row| / 254; the measured maximum is reported so the export can state it. Per-row scales keep
 * small rows (rare items) precise where one scale per tensor would crush them to zero.
 */

export interface Int8Tensor {
  rows: number;
  /** One scale per row. */
  scales: Float32Array;
  q: Int8Array;
  /** Largest |x − x̂| over the tensor, measured. */
  maxError: number;
}

/** Quantises `x` viewed as `rows` rows of equal length. */
export function quantizeInt8(x: Float32Array, rows: number): Int8Tensor {
  if (rows <= 0 || x.length % rows !== 0) throw new Error(`int8: ${x.length} values do not split into ${rows} rows`);
  const cols = x.length / rows;
  const q = new Int8Array(x.length);
  const scales = new Float32Array(rows);
  let maxError = 0;
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let i = r * cols; i < (r + 1) * cols; i++) {
      const a = Math.abs(x[i] as number);
      if (!Number.isFinite(a)) throw new Error(`int8: non-finite value at ${i}`);
      if (a > max) max = a;
    }
    // The scale is stored as float32: quantise against the stored value so the bound holds for the reader.
    const s = Math.fround(max / 127);
    scales[r] = s;
    if (s === 0) continue;
    for (let i = r * cols; i < (r + 1) * cols; i++) {
      const v = Math.max(-127, Math.min(127, Math.round((x[i] as number) / s)));
      q[i] = v;
      maxError = Math.max(maxError, Math.abs((x[i] as number) - Math.fround(v * s)));
    }
  }
  return { rows, scales, q, maxError };
}

/** x̂ = q · scale of its row. */
export function dequantizeInt8(q: Int8Array, scales: Float32Array): Float32Array {
  const rows = scales.length;
  if (rows === 0 || q.length % rows !== 0) throw new Error(`int8: ${q.length} values do not split into ${rows} rows`);
  const cols = q.length / rows;
  const out = new Float32Array(q.length);
  for (let r = 0; r < rows; r++) {
    const s = scales[r] as number;
    for (let i = r * cols; i < (r + 1) * cols; i++) out[i] = (q[i] as number) * s;
  }
  return out;
}
