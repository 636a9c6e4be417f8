/**
 * The small dense linear algebra the decoding attack needs: the Gram matrix of one side of a tensor (its row or
 * column space), the eigen-decomposition of such a symmetric matrix (cyclic Jacobi: exact to rounding for the
 * d × d matrices here, d = the model's embedding size), and the coordinates of many candidate vectors in an
 * eigenbasis. Float64 throughout; row-major.
 */

/**
 * The Gram matrix of the space spanned by one side of M (rows × cols, row-major): M·Mᵀ (rows × rows) for the
 * column space of M ('left', spanned by M's columns), Mᵀ·M (cols × cols) for its row space ('right').
 */
export function gram(M: ArrayLike<number>, rows: number, cols: number, side: 'left' | 'right'): Float64Array {
  if (side === 'left') {
    const G = new Float64Array(rows * rows);
    for (let i = 0; i < rows; i++) {
      for (let j = i; j < rows; j++) {
        let s = 0;
        for (let k = 0; k < cols; k++) s += M[i * cols + k]! * M[j * cols + k]!;
        G[i * rows + j] = s; G[j * rows + i] = s;
      }
    }
    return G;
  }
  const G = new Float64Array(cols * cols);
  for (let k = 0; k < rows; k++) {
    for (let i = 0; i < cols; i++) {
      const a = M[k * cols + i]!;
      if (a !== 0) for (let j = 0; j < cols; j++) G[i * cols + j] = G[i * cols + j]! + a * M[k * cols + j]!;
    }
  }
  return G;
}

export interface Eigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Unit eigenvectors as rows (row r belongs to values[r]), n × n. */
  vectors: Float64Array;
}

/** Eigen-decomposition of the symmetric n × n matrix `S` (cyclic Jacobi rotations until the off-diagonal is negligible). */
export function symEig(S: ArrayLike<number>, n: number): Eigen {
  const A = Float64Array.from(S), V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0, all = 0;
    for (let i = 0; i < n * n; i++) { const a = A[i]! * A[i]!; all += a; if (Math.floor(i / n) !== i % n) off += a; }
    if (off <= 1e-24 * all) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const theta = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) { // columns p and q
          const akp = A[k * n + p]!, akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq; A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) { // rows p and q, and the eigenvector rows
          const apk = A[p * n + k]!, aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk; A[q * n + k] = s * apk + c * aqk;
          const vpk = V[p * n + k]!, vqk = V[q * n + k]!;
          V[p * n + k] = c * vpk - s * vqk; V[q * n + k] = s * vpk + c * vqk;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => A[b * n + b]! - A[a * n + a]!);
  const values = new Float64Array(n), vectors = new Float64Array(n * n);
  order.forEach((o, r) => { values[r] = A[o * n + o]!; vectors.set(V.subarray(o * n, o * n + n), r * n); });
  return { values, vectors };
}

/** Candidate vectors in an eigenbasis: `coef[i·n + r]` = ⟨row i, eigenvector r⟩, and each row's squared norm. */
export interface Coordinates { coef: Float64Array; norm2: Float64Array; rows: number; n: number }

/**
 * Coordinates of the `rows` candidate vectors of `cand` (rows × n, row-major) in the basis `e`: blocks of four
 * candidates × four basis vectors, so that each loaded value serves four multiply-adds (the attack's hot spot).
 */
export function coordinates(cand: Float32Array, rows: number, n: number, e: Eigen): Coordinates {
  const coef = new Float64Array(rows * n), norm2 = new Float64Array(rows), v = e.vectors;
  for (let i = 0; i < rows; i++) { let s = 0; for (let k = 0; k < n; k++) s += cand[i * n + k]! ** 2; norm2[i] = s; }
  const dot = (i: number, r: number): number => { let s = 0; for (let k = 0; k < n; k++) s += cand[i * n + k]! * v[r * n + k]!; return s; };
  const R = n - (n % 4);
  let i = 0;
  for (; i + 3 < rows; i += 4) {
    const x0 = i * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
    for (let r = 0; r < R; r += 4) {
      const o0 = r * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
      let a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
      let a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0;
      for (let k = 0; k < n; k++) {
        const v0 = v[o0 + k]!, v1 = v[o1 + k]!, v2 = v[o2 + k]!, v3 = v[o3 + k]!;
        const c0 = cand[x0 + k]!, c1 = cand[x1 + k]!, c2 = cand[x2 + k]!, c3 = cand[x3 + k]!;
        a00 += c0 * v0; a01 += c0 * v1; a02 += c0 * v2; a03 += c0 * v3;
        a10 += c1 * v0; a11 += c1 * v1; a12 += c1 * v2; a13 += c1 * v3;
        a20 += c2 * v0; a21 += c2 * v1; a22 += c2 * v2; a23 += c2 * v3;
        a30 += c3 * v0; a31 += c3 * v1; a32 += c3 * v2; a33 += c3 * v3;
      }
      coef[x0 + r] = a00; coef[x0 + r + 1] = a01; coef[x0 + r + 2] = a02; coef[x0 + r + 3] = a03;
      coef[x1 + r] = a10; coef[x1 + r + 1] = a11; coef[x1 + r + 2] = a12; coef[x1 + r + 3] = a13;
      coef[x2 + r] = a20; coef[x2 + r + 1] = a21; coef[x2 + r + 2] = a22; coef[x2 + r + 3] = a23;
      coef[x3 + r] = a30; coef[x3 + r + 1] = a31; coef[x3 + r + 2] = a32; coef[x3 + r + 3] = a33;
    }
    for (let r = R; r < n; r++) for (let q = 0; q < 4; q++) coef[(i + q) * n + r] = dot(i + q, r);
  }
  for (; i < rows; i++) for (let r = 0; r < n; r++) coef[i * n + r] = dot(i, r);
  return { coef, norm2, rows, n };
}
