/**
 * Privacy of the distributed discrete Gaussian: what the sum of n honest devices' noise alone guarantees for one
 * device, against an observer of the modular sum (the aggregator, with any colluding devices whose noise it knows).
 *
 * Mechanism (scaled, integer domain): each honest device adds N_Z(0, σ_int²)^d, σ_int = σ/γ, to its conditionally
 * rounded vector (‖x̃‖₂ ≤ Δ₂, rounding.ts). The sum of n independent N_Z(0, σ_int²) is not a discrete Gaussian;
 * KLS21 (Kairouz, Liu, Steinke 2021, arXiv 2102.06387) Proposition 14 / Eq. (17) bounds its Rényi divergence: for
 * every Δ ∈ Z^d and α > 1,
 *   D_α ≤ min{ α‖Δ‖₂²/(2nσ²) + τd,
 *              (α/2)·(‖Δ‖₂²/(nσ²) + 2‖Δ‖₁·τ/(√n·σ) + τ²d),
 *              (α/2)·(‖Δ‖₂/(√n·σ) + τ√d)² },
 *   τ = 10·Σ_{k=1}^{n−1} exp(−2π²σ²·k/(k+1))                    (σ = σ_int; KLS21 Theorem 1)
 * The middle term needs the L1 norm of Δ as well, so both are computed. The third term is ½ε²-zCDP with
 * ε = ‖Δ‖₂/(√n·σ) + τ√d, the form of KLS21 Theorem 1. This file implements the min of the three, as the official
 * code does (google-research/federated, distributed_dp/accounting_utils.py, compute_rdp_dgaussian).
 *
 * Neighbours: replace-one (one device's vector changed), the repository's adjacency. Both vectors satisfy
 * ‖x̃‖₂ ≤ Δ₂ and are integer, so ‖Δ‖₂ ≤ 2Δ₂ and ‖Δ‖₁ ≤ ‖x̃‖₁ + ‖x̃'‖₁ ≤ 2·min(√d·Δ₂, Δ₂²) (‖v‖₁ ≤ ‖v‖₂² for
 * integer v). n counts the honest devices whose noise is in the sum, the changed device included: the policy's
 * minimum cohort × (1 − dropout fraction − colluding fraction) (`honestCohort`).
 *
 * Composition: RDP adds over rounds (Mironov 2017, Prop. 1); `ddgRdp` returns RDP at integer orders so it adds
 * to the arrays of privacy/rdp.ts (and `rdpToEpsilon` there converts). `ddgEpsilon` converts the min-of-three
 * curve times the number of rounds with CKS20 Proposition 12 (Canonne, Kamath, Steinke 2020, arXiv 2004.00010):
 *   ε = inf_{α>1} R·D_α + log((α−1)/α) − (log δ + log α)/(α − 1),
 * over real α (a grid then golden-section refinement; every α gives a valid bound). For ρ-zCDP, `zcdpEpsilon`
 * uses the same proposition with D_α = αρ (CKS20 Corollary 13; `cdp_eps` in the CKS20 reference code).
 */
import { roundedNormBound } from './rounding.js';

/** Sensitivities and noise of the scaled sum, for KLS21 Prop. 14. */
export interface SumDgParams {
  /** L2 norm of the neighbouring difference Δ (scaled domain). */
  l2: number;
  /** L1 norm of Δ (scaled domain). */
  l1: number;
  /** Honest devices whose noise is in the sum. */
  n: number;
  /** Per-device discrete Gaussian σ in the scaled domain (σ_int = σ/γ). */
  sigmaInt: number;
  /** Dimension (padded). */
  dim: number;
}

/** τ of KLS21 Theorem 1 for n devices each adding N_Z(0, σ_int²). */
export function ddgTau(sigmaInt: number, n: number): number {
  let s = 0;
  const c = 2 * Math.PI * Math.PI * sigmaInt * sigmaInt;
  for (let k = 1; k < n; k++) s += Math.exp((-c * k) / (k + 1));
  return 10 * s;
}

/** One round's RDP curve α ↦ D_α (KLS21 Prop. 14 / Eq. 17), with τ computed once. */
export function sumDgRdpCurve(p: SumDgParams): (alpha: number) => number {
  if (!(p.n >= 1 && Number.isInteger(p.n))) throw new RangeError(`n must be a positive integer, got ${p.n}`);
  if (!(p.sigmaInt > 0)) return () => Infinity;
  const tau = ddgTau(p.sigmaInt, p.n);
  const s = Math.sqrt(p.n) * p.sigmaInt;
  const a2 = p.l2 / s, a1 = p.l1 / s;
  return (alpha) => Math.min(
    (alpha / 2) * a2 * a2 + tau * p.dim,
    (alpha / 2) * (a2 * a2 + 2 * a1 * tau + tau * tau * p.dim),
    (alpha / 2) * (a2 + Math.sqrt(p.dim) * tau) ** 2,
  );
}

/** Parameters of one round of the distributed discrete Gaussian, in model units. */
export interface DdgAccountingParams {
  /** L2 clip C of a device's update. */
  clip: number;
  /** Granularity γ (the scaled domain is x/γ). */
  gamma: number;
  /** Conditional rounding parameter β ∈ [0, 1). */
  beta: number;
  /** Padded (rotated) dimension d. */
  dim: number;
  /** Per-device noise standard deviation σ in model units (σ_int = σ/γ). */
  sigma: number;
  /** Honest devices whose noise is in the sum (`honestCohort`). */
  nHonest: number;
}

/** Replace-one sensitivities in the scaled domain: Δ₂ and ‖Δ‖₂ ≤ 2Δ₂, ‖Δ‖₁ ≤ 2·min(√d·Δ₂, Δ₂²). */
export function ddgSensitivity(p: Pick<DdgAccountingParams, 'clip' | 'gamma' | 'beta' | 'dim'>): { delta2: number; l2: number; l1: number } {
  const delta2 = roundedNormBound(p.clip / p.gamma, p.dim, p.beta);
  return { delta2, l2: 2 * delta2, l1: 2 * Math.min(Math.sqrt(p.dim) * delta2, delta2 * delta2) };
}

function curveOf(p: DdgAccountingParams): (alpha: number) => number {
  if (!(p.gamma > 0) || !(p.clip > 0) || !(p.sigma >= 0)) throw new RangeError('clip, gamma must be > 0 and sigma ≥ 0');
  const { l2, l1 } = ddgSensitivity(p);
  return sumDgRdpCurve({ l2, l1, n: p.nHonest, sigmaInt: p.sigma / p.gamma, dim: p.dim });
}

/** RDP of one round at each order (add arrays over rounds/mechanisms; convert with privacy/rdp.ts). */
export function ddgRdp(p: DdgAccountingParams, orders: readonly number[]): number[] {
  const f = curveOf(p);
  return orders.map((a) => f(a));
}

export interface DdgEpsilon { epsilon: number; order: number }

/** ε(δ) of an RDP curve by CKS20 Prop. 12, minimised over real α > 1. */
export function rdpCurveToEpsilon(curve: (alpha: number) => number, delta: number): DdgEpsilon {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
  const f = (a: number): number => curve(a) + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
  let best = Infinity, bestA = 2;
  const lo = Math.log(1 + 1e-4), hi = Math.log(1e7), steps = 1200;
  const grid: number[] = [];
  for (let i = 0; i <= steps; i++) grid.push(Math.exp(lo + ((hi - lo) * i) / steps));
  let bi = 0;
  grid.forEach((a, i) => { const v = f(a); if (v < best) { best = v; bestA = a; bi = i; } });
  // Golden-section refinement between the grid neighbours of the best point.
  let a = grid[Math.max(0, bi - 1)]!, b = grid[Math.min(steps, bi + 1)]!;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 100; it++) {
    const c = b - g * (b - a), d = a + g * (b - a);
    if (f(c) < f(d)) b = d; else a = c;
  }
  const m = (a + b) / 2, fm = f(m);
  if (fm < best) { best = fm; bestA = m; }
  return { epsilon: Math.max(0, best), order: bestA };
}

/** ε(δ) of `rounds` rounds of the distributed discrete Gaussian (RDP composition, CKS20 Prop. 12). */
export function ddgEpsilon(p: DdgAccountingParams, delta: number, rounds = 1): DdgEpsilon {
  const f = curveOf(p);
  return rdpCurveToEpsilon((a) => rounds * f(a), delta);
}

/** Levels of a binary tree over `rounds` leaves (⌈log₂ rounds⌉ + 1): the nodes one round's leaf is part of. */
export function treeLevels(rounds: number): number {
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new RangeError(`rounds must be an integer ≥ 1, got ${rounds}`);
  return Math.ceil(Math.log2(rounds)) + 1;
}

/**
 * ε(δ) of the same rounds released by tree aggregation instead (DP-FTRL, Kairouz et al. 2021, as Gboard runs it):
 * the model of round r is built from prefix sums of the rounds' sums, each prefix a sum of at most L tree nodes
 * that each carry one fresh noisy sum with the same σ. A device's update is in every node above its round's leaf,
 * so each of its `participations` counts L = `treeLevels(rounds)` times (the plain tree: no restarts, no banded
 * matrix). For the same noise this is never below `ddgEpsilon(p, δ, participations)`: what DP-FTRL gains is the
 * error of the model (a prefix holds the noise of O(log T) nodes instead of T rounds), not ε.
 */
export function treeDdgEpsilon(p: DdgAccountingParams, delta: number, participations: number, rounds: number): DdgEpsilon {
  return ddgEpsilon(p, delta, participations * treeLevels(rounds));
}

/** ε(δ) implied by ρ-zCDP (CKS20 Cor. 13). */
export function zcdpEpsilon(rho: number, delta: number): number {
  if (!(rho >= 0)) throw new RangeError(`rho must be ≥ 0, got ${rho}`);
  if (rho === 0) return 0;
  return rdpCurveToEpsilon((a) => a * rho, delta).epsilon;
}

/**
 * ε(δ) of the continuous counterpart: the sum of n Gaussians N(0, σ²) added to a replace-one sum of vectors of
 * L2 norm ≤ C (sensitivity 2C), over `rounds` rounds: ρ = rounds·(2C)²/(2nσ²).
 */
export function gaussianSumEpsilon(clip: number, sigma: number, nHonest: number, delta: number, rounds = 1): number {
  return zcdpEpsilon((rounds * (2 * clip) ** 2) / (2 * nHonest * sigma * sigma), delta);
}

/** Honest devices the policy guarantees: ⌊minimum cohort × (1 − dropout − colluding)⌋. */
export function honestCohort(minCohort: number, dropoutFraction: number, colludingFraction: number): number {
  const f = 1 - dropoutFraction - colludingFraction;
  if (!(dropoutFraction >= 0 && colludingFraction >= 0 && f > 0)) throw new RangeError('dropout and colluding fractions must be ≥ 0 and sum below 1');
  // The fractions are decimals, so minCohort · f lands on an integer exactly when the decimal product does; the
  // tolerance keeps binary rounding (1 − 0.3 − 0.05 = 0.6499…) from taking one device off that integer.
  return Math.floor(minCohort * f + 1e-9);
}

export interface CalibrationTarget {
  epsilon: number;
  delta: number;
  /** Rounds a device can take part in (RDP composes over them); 1 for a per-round target. */
  rounds: number;
}

/**
 * The smallest per-device σ (model units) such that the honest devices' noise alone gives (ε, δ) over the
 * target's rounds, by bisection on σ (ε decreases in σ: both the L2 term and τ shrink). Throws if even a very
 * large σ cannot reach the target (the τ terms cannot, or δ is too small for ε).
 */
export function calibrateDdgSigma(target: CalibrationTarget, p: Omit<DdgAccountingParams, 'sigma'>): number {
  const eps = (sigma: number): number => ddgEpsilon({ ...p, sigma }, target.delta, target.rounds).epsilon;
  let hi = p.gamma;
  while (eps(hi) > target.epsilon) { hi *= 2; if (hi > 1e12 * p.gamma) throw new Error('calibrateDdgSigma: target not reachable'); }
  let lo = 0;
  for (let i = 0; i < 60 && hi - lo > 1e-9 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (eps(mid) > target.epsilon) lo = mid; else hi = mid;
  }
  return hi;
}
