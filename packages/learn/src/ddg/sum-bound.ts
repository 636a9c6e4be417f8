/**
 * How large the modular sum of n honest devices' encodings can be, so that the server can refuse a sum some device
 * lied into (there is no zero-knowledge norm proof: a device can mask any residues in Z_m).
 *
 * Scaled (integer) domain, before the inverse rotation (orthogonal: norms are the same after it). The sum of n honest
 * encodings is S = A + Z with
 *   A = Σ x̃_i, each conditionally rounded to ‖x̃_i‖₂ ≤ Δ₂ (rounding.ts, checked exactly), so ‖A‖₂ ≤ a = n·Δ₂
 *       (the triangle inequality; reached when every device sends the same direction, which honest devices may);
 *   Z = Σ z_i, d independent coordinates, each the sum of n discrete Gaussians N_Z(0, s²), s² the rational
 *       (σ/γ)² rounded up that `encodeDdg` samples with. N_Z(0, s²) is s²-sub-Gaussian (CKS20, Canonne, Kamath,
 *       Steinke 2020, arXiv 2004.00010), so a coordinate of Z is v-sub-Gaussian, v = n·s².
 * Two tails, each at probability e^{−x}, x = log(2/p):
 *   ‖Z‖² ≥ v·(d + 2√(dx) + 2x): for a v-sub-Gaussian X, E e^{λX²} = E_g E_X e^{√(2λ)·gX} ≤ E_g e^{λvg²} =
 *       (1 − 2λv)^{−1/2} (g standard normal), so ‖Z‖²/v has at most the χ²_d moment generating function and the
 *       Chernoff bound of Laurent & Massart (2000, Lemma 1) applies unchanged;
 *   ⟨A, Z⟩ ≥ ‖A‖·√(2vx): ⟨A, Z⟩ is ‖A‖²v-sub-Gaussian (A does not depend on the noise).
 * So with probability at least 1 − p,
 *   ‖S‖₂² ≤ B² = a² + 2a·√(2vx) + v·(d + 2√(dx) + 2x)                                   (`sumNormBound`).
 * The centred lift of S mod m has no larger magnitude in any coordinate than S, so the same bound holds for what
 * the server decodes whether or not the sum wrapped (`checkDdgSum`).
 *
 * It assumes every honest device adds noise of at most the σ passed (the round's announced σ: devices compute
 * their own σ_dev from their pinned policy, which is the same number when the shop configures both alike).
 * What the check leaves to a lying device: README.md beside this file and docs/secure-aggregation.md.
 */
import type { DdgParams } from './client.js';
import { sigma2Rational } from './discrete-gaussian.js';
import { fromZmCentred } from './modular.js';
import { rotationLayout } from './rotation.js';
import { roundedNormBound } from './rounding.js';

/** Probability that a sum of honest devices is refused by the check: once in a billion rounds. */
export const SUM_BOUND_FAILURE = 1e-9;

export interface SumBoundParams {
  /** Devices whose encodings are in the sum. */
  n: number;
  /** L2 clip C (model units). */
  clip: number;
  /** Granularity γ. */
  gamma: number;
  /** Conditional rounding parameter β ∈ [0, 1). */
  beta: number;
  /** Padded (rotated) dimension d. */
  dim: number;
  /** Largest per-device noise σ of an honest device (model units). */
  sigma: number;
}

/** The parts of the bound (scaled domain): B, the signal's a = n·Δ₂, and the noise's per-coordinate proxy v. */
export function sumNormBoundParts(p: SumBoundParams, failureProbability = SUM_BOUND_FAILURE): { bound: number; signal: number; noiseProxy: number } {
  if (!Number.isInteger(p.n) || p.n < 1) throw new RangeError(`n must be a positive integer, got ${p.n}`);
  if (!(p.clip > 0) || !(p.gamma > 0) || !(p.sigma >= 0)) throw new RangeError('clip and gamma must be > 0, sigma ≥ 0');
  if (!(failureProbability > 0 && failureProbability < 1)) throw new RangeError(`failure probability must be in (0, 1), got ${failureProbability}`);
  const signal = p.n * roundedNormBound(p.clip / p.gamma, p.dim, p.beta);
  const s2 = sigma2Rational((p.sigma / p.gamma) ** 2);
  const v = (p.n * s2.num) / s2.den;
  const x = Math.log(2 / failureProbability), d = p.dim;
  const sq = signal * signal + 2 * signal * Math.sqrt(2 * v * x) + v * (d + 2 * Math.sqrt(d * x) + 2 * x);
  return { bound: Math.sqrt(sq), signal, noiseProxy: v };
}

/** B: the L2 norm the sum of n honest encodings stays under with probability ≥ 1 − p (scaled domain; header). */
export const sumNormBound = (p: SumBoundParams, failureProbability = SUM_BOUND_FAILURE): number => sumNormBoundParts(p, failureProbability).bound;

/** L2 norm of the centred lift of residues mod 2^bits. */
export function centredNorm(sumModM: ArrayLike<number>, bits: number): number {
  const c = fromZmCentred(sumModM, bits);
  let ss = 0;
  for (let i = 0; i < c.length; i++) ss += c[i]! * c[i]!;
  return Math.sqrt(ss);
}

/**
 * The server's check of a modular sum of `n` devices' encodings before it decodes it: `ok` when its centred norm is
 * at most `sumNormBound` for n honest devices at these parameters (σ = `params.sigma`).
 */
export function checkDdgSum(sumModM: Uint32Array, params: DdgParams, n: number, failureProbability = SUM_BOUND_FAILURE): { ok: boolean; norm: number; bound: number } {
  const padded = rotationLayout(params.dim, params.blockSize).padded;
  if (sumModM.length !== padded) throw new RangeError(`expected ${padded} values, got ${sumModM.length}`);
  const bound = sumNormBound({ n, clip: params.clip, gamma: params.gamma, beta: params.beta, dim: padded, sigma: params.sigma }, failureProbability);
  const norm = centredNorm(sumModM, params.bits);
  return { ok: norm <= bound, norm, bound };
}
