/**
 * A learned linear decoder, the attacker that needs no structure of the gradient: the server runs its own
 * users (the pretraining share it already holds) through the device pipeline without noise ("shadow uploads"),
 * and fits a linear map from an upload's trained tensors to the mean representation of the items the device
 * touched, and to the mean embedding of their attributes, by kernel ridge regression. For a round whose noise has
 * variance σ² = (zC)² per value the ridge term is N·σ² (the expected loss of the same fit on noised shadow uploads)
 * plus a small fixed part (which also covers the int8 rounding, far below either), so the decoder is the best
 * linear estimate at that noise level. The decoded vectors, minus the shadow mean (what every device shares),
 * score items and attributes by cosine.
 */
import { DEFAULT_RECIPE } from '@perch/learn/client';
import type { Knowledge } from './knowledge.js';
import type { Observation } from './observe.js';

/** What one shadow upload contributes: its decoded trained tensors and the rows its device touched. */
export interface ShadowUpload { obs: Observation; items: Int32Array; attrs: Int32Array }

/** The fixed part of the ridge, relative to the mean diagonal of the kernel. */
const RIDGE = 1e-3;

/** Mean of the rows `pick` of `m` (rows × d) into `out` at `o`. */
function meanRows(m: Float32Array, pick: Int32Array, d: number, out: Float64Array, o: number): void {
  for (const r of pick) for (let k = 0; k < d; k++) out[o + k] = out[o + k]! + m[r * d + k]! / pick.length;
}

/** Lower Cholesky factor of the SPD n × n matrix `A` (row-major). */
function cholesky(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * n + j]!;
    }
  }
  return L;
}

/** Solves L·Lᵀ·x = b in place. */
function cholSolve(L: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) { let s = b[i]!; for (let k = 0; k < i; k++) s -= L[i * n + k]! * b[k]!; b[i] = s / L[i * n + i]!; }
  for (let i = n - 1; i >= 0; i--) { let s = b[i]!; for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * b[k]!; b[i] = s / L[i * n + i]!; }
}

/** Cosine of (each candidate row − `centre`) with `v`, rows 1..rows−1 (0 for a zero row). */
function cosines(v: Float64Array, cand: Float32Array, rows: number, d: number, centre: Float64Array): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 1; i < rows; i++) {
    let s = 0, n2 = 0;
    for (let k = 0; k < d; k++) { const c = cand[i * d + k]! - centre[k]!; s += v[k]! * c; n2 += c * c; }
    out[i] = n2 > 0 ? s / Math.sqrt(n2) : 0;
  }
  return out;
}

export class LinearDecoder {
  /** Trained tensors of the layout (the recipe's frozen ones carry no signal). */
  private readonly names: string[];
  private readonly D: number; private readonly N: number; private readonly d: number;
  /** Centred shadow features (N × D), their mean, the kernel Y·Yᵀ, centred targets (N × d) and their means. */
  private readonly Y: Float32Array; private readonly mean: Float64Array; private readonly K: Float64Array;
  private readonly Ti: Float64Array; private readonly Ta: Float64Array; private readonly ti: Float64Array; private readonly ta: Float64Array;
  private readonly factors = new Map<number, Float64Array>();

  constructor(private readonly k: Knowledge, shadows: ShadowUpload[]) {
    const { dim: d } = k.model.dims, N = shadows.length;
    if (N < 2) throw new RangeError('the linear decoder needs at least two shadow uploads');
    this.names = k.layout.tensors.map((t) => t.name).filter((n) => !DEFAULT_RECIPE.frozen.includes(n));
    this.D = this.names.reduce((a, n) => a + shadows[0]!.obs.tensor(n).length, 0);
    this.N = N; this.d = d;
    this.Y = new Float32Array(N * this.D); this.mean = new Float64Array(this.D);
    shadows.forEach((s, n) => { this.features(s.obs, this.Y, n * this.D); });
    for (let n = 0; n < N; n++) for (let j = 0; j < this.D; j++) this.mean[j] = this.mean[j]! + this.Y[n * this.D + j]! / N;
    for (let n = 0; n < N; n++) for (let j = 0; j < this.D; j++) this.Y[n * this.D + j] = this.Y[n * this.D + j]! - this.mean[j]!;
    this.K = new Float64Array(N * N);
    for (let a = 0; a < N; a++) for (let b = a; b < N; b++) { const v = this.dotRows(a, b); this.K[a * N + b] = v; this.K[b * N + a] = v; }
    this.Ti = new Float64Array(N * d); this.Ta = new Float64Array(N * d);
    shadows.forEach((s, n) => { meanRows(k.reps, s.items, d, this.Ti, n * d); meanRows(k.attrEmb, s.attrs, d, this.Ta, n * d); });
    this.ti = this.centre(this.Ti); this.ta = this.centre(this.Ta);
  }

  /**
   * Item and attribute scores of an upload of a round with noise variance `noiseVar` = (zC)² per value (rows 1..:
   * cosines of the decoded deviation from the shadow mean).
   */
  decode(obs: Observation, noiseVar: number): { items: Float64Array; attrs: Float64Array } {
    const { N, D, d, k } = this, y = new Float32Array(D);
    this.features(obs, y, 0);
    const alpha = new Float64Array(N);
    for (let n = 0; n < N; n++) { let s = 0; for (let j = 0; j < D; j++) s += this.Y[n * D + j]! * (y[j]! - this.mean[j]!); alpha[n] = s; }
    cholSolve(this.factor(noiseVar), N, alpha);
    const si = new Float64Array(d), sa = new Float64Array(d);
    for (let n = 0; n < N; n++) for (let j = 0; j < d; j++) { si[j] = si[j]! + alpha[n]! * this.Ti[n * d + j]!; sa[j] = sa[j]! + alpha[n]! * this.Ta[n * d + j]!; }
    const { numItems: V, numAttrs: A } = k.model.dims;
    return { items: cosines(si, k.reps, V + 1, d, this.ti), attrs: cosines(sa, k.attrEmb, A + 1, d, this.ta) };
  }

  /** Cholesky factor of K + (N·σ² + RIDGE·mean diag K)·I, once per noise level of the rounds. */
  private factor(noiseVar: number): Float64Array {
    let L = this.factors.get(noiseVar);
    if (!L) {
      const { N } = this, A = this.K.slice();
      let tr = 0;
      for (let n = 0; n < N; n++) tr += this.K[n * N + n]!;
      const lam = N * noiseVar + (RIDGE * tr) / N;
      for (let n = 0; n < N; n++) A[n * N + n] = A[n * N + n]! + lam;
      L = cholesky(A, N);
      this.factors.set(noiseVar, L);
    }
    return L;
  }

  private features(obs: Observation, out: Float32Array, o: number): void {
    for (const n of this.names) { const t = obs.tensor(n); out.set(t, o); o += t.length; }
  }

  private dotRows(a: number, b: number): number {
    const { Y, D } = this, oa = a * D, ob = b * D;
    let s0 = 0, s1 = 0, j = 0;
    for (; j + 1 < D; j += 2) { s0 += Y[oa + j]! * Y[ob + j]!; s1 += Y[oa + j + 1]! * Y[ob + j + 1]!; }
    for (; j < D; j++) s0 += Y[oa + j]! * Y[ob + j]!;
    return s0 + s1;
  }

  /** Subtracts the column means of T (N × d) in place and returns them. */
  private centre(T: Float64Array): Float64Array {
    const { N, d } = this, m = new Float64Array(d);
    for (let n = 0; n < N; n++) for (let j = 0; j < d; j++) m[j] = m[j]! + T[n * d + j]! / N;
    for (let n = 0; n < N; n++) for (let j = 0; j < d; j++) T[n * d + j] = T[n * d + j]! - m[j]!;
    return m;
  }
}
