/** Dense Float32Array kernels for the plain model. Offsets instead of subarrays: no allocation in hot loops. */

/** Σ a[ao+i]·b[bo+i], i < n (4-way unrolled for fewer dependency stalls). */
export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[ao + i]! * b[bo + i]!;
    s1 += a[ao + i + 1]! * b[bo + i + 1]!;
    s2 += a[ao + i + 2]! * b[bo + i + 2]!;
    s3 += a[ao + i + 3]! * b[bo + i + 3]!;
  }
  for (; i < n; i++) s0 += a[ao + i]! * b[bo + i]!;
  return s0 + s1 + s2 + s3;
}

/** y[yo+i] += alpha·x[xo+i], i < n. */
export function axpy(alpha: number, x: Float32Array, xo: number, y: Float32Array, yo: number, n: number): void {
  for (let i = 0; i < n; i++) y[yo + i] = y[yo + i]! + alpha * x[xo + i]!;
}

/** out[oo+j] = bias[j] + Σ_i v[vo+i]·W[i,j] for W (rows × cols) row-major. */
export function vecMat(v: Float32Array, vo: number, W: Float32Array, rows: number, cols: number, bias: Float32Array | null, out: Float32Array, oo: number): void {
  if (bias) for (let j = 0; j < cols; j++) out[oo + j] = bias[j]!;
  else out.fill(0, oo, oo + cols);
  let i = 0;
  // four rows per pass over `out`: each out[j] is loaded and stored once per four multiply-adds
  for (; i + 3 < rows; i += 4) {
    const a0 = v[vo + i]!, a1 = v[vo + i + 1]!, a2 = v[vo + i + 2]!, a3 = v[vo + i + 3]!;
    const w0 = i * cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;
    for (let j = 0; j < cols; j++) out[oo + j] = out[oo + j]! + a0 * W[w0 + j]! + a1 * W[w1 + j]! + a2 * W[w2 + j]! + a3 * W[w3 + j]!;
  }
  for (; i < rows; i++) {
    const a = v[vo + i]!;
    if (a !== 0) axpy(a, W, i * cols, out, oo, cols);
  }
}

/** Backward of vecMat: dv[dvo+i] (+)= Σ_j W[i,j]·g[j]; dW[i,j] += v[i]·g[j]. `accumulate` adds into dv. */
export function vecMatBack(v: Float32Array, vo: number, W: Float32Array, rows: number, cols: number, g: Float32Array, go: number,
  dW: Float32Array, dv: Float32Array | null, dvo: number, accumulate: boolean): void {
  for (let i = 0; i < rows; i++) {
    if (dv) { const s = dot(W, i * cols, g, go, cols); dv[dvo + i] = accumulate ? dv[dvo + i]! + s : s; }
    const a = v[vo + i]!;
    if (a !== 0) axpy(a, g, go, dW, i * cols, cols);
  }
}

/** Logistic function, clamped so exp never overflows. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
