/**
 * The part of the device's policy for secure-aggregation rounds (SecAgg+ over the distributed discrete Gaussian,
 * KLS21: Kairouz, Liu, Steinke 2021), and the checks a device runs on such a round before it takes part.
 *
 * What the device relies on, and why each number is the shop's and not the aggregator's:
 * - the ε of an upload is that of the noisy sum over the minimum honest cohort
 *   n_honest = honestCohort(minCohort, dropoutFraction, colludingFraction) (KLS21 Prop. 14, `ddgRdp`), with the
 *   shop's pinned minimum cohort and fractions: the device cannot check how many of the devices summed with it are
 *   real, honest and still there, so these are assumptions it is told by its own page, never by the round;
 * - the device's noise share σ_dev is its own: `calibrateDdgSigma` for the pinned per-upload ε at the policy's δ,
 *   over n_honest, at the round's grid γ and rounding β. The σ the round announces is read and ignored. Taking the
 *   larger of the two would let the aggregator make devices add more noise than the policy needs (only a utility
 *   cost) and would make devices of one shop add different noise; a smaller one must never count. Every honest
 *   device of the shop computes the same σ_dev from the same policy, which is what the accounting assumes of the
 *   n_honest devices it counts;
 * - γ is announced (all devices of a round must share one grid), and is checked: the conditional rounding must
 *   not inflate the sensitivity beyond `maxRoundingInflation` (then the noise σ_dev needs would grow with the
 *   rounding instead of the clip), and the sum of `maxCohort` devices, each adding σ_dev, must wrap around
 *   Z_(2^bits) with probability at most `maxWrapProbability`;
 * - SecAgg+ itself: the announced minimum cohort, degree k and threshold t are at least what the policy requires
 *   (`chooseParams` from its colluding and dropout fractions and security bits, or pinned minima), and the
 *   modulus is the pinned one.
 */
import { DEFAULT_SECAGG_RECIPE, trainedBy } from '../client/recipe.js';
import type { SecAggRoundDescription } from '../client/round.js';
import { SHARED_DENSE_WEIGHTS } from '@perch/model/spec';
import { calibrateDdgSigma, honestCohort, type DdgAccountingParams } from '../ddg/accountant.js';
import type { DdgParams } from '../ddg/client.js';
import { rotationLayout } from '../ddg/rotation.js';
import { roundedNormBound } from '../ddg/rounding.js';
import { fromB64Len } from '../secagg/bytes.js';
import type { DevicePolicy } from '../secagg/device.js';
import { chooseParams, MAX_DEGREE, type SecurityTargets } from '../secagg/params.js';

export interface SecAggPolicy {
  /** Smallest cohort the device accepts to be summed with (SecAgg+ refuses fewer participants or survivors). */
  minCohort: number;
  /** Fraction of the cohort assumed to drop out before its noise is in the sum. */
  dropoutFraction: number;
  /** Fraction of the cohort assumed to collude with the aggregator (their noise is known to it), Sybils included. */
  colludingFraction: number;
  /** Bits per value of the modular sum: the one modulus the device accepts. */
  bits: number;
  /** Statistical security (privacy of the masking fails with probability ≤ 2^-securityBits), for `chooseParams`. */
  securityBits: number;
  /** Correctness (the round fails to unmask with probability ≤ 2^-correctnessBits), for `chooseParams`. */
  correctnessBits: number;
  /** Pinned smallest degree k and threshold t, instead of computing them with `chooseParams` (both or neither). */
  minDegree?: number;
  minThreshold?: number;
  /** ε one SecAgg upload costs against the aggregator (at the policy's δ, over n_honest): σ_dev is calibrated to it. */
  epsilonPerRound: number;
  /** Largest Δ₂/(C/γ) − 1 accepted: how much the conditional rounding may inflate the sensitivity. */
  maxRoundingInflation: number;
  /** Largest accepted bound on the probability that the sum of `maxCohort` devices wraps in some coordinate. */
  maxWrapProbability: number;
  /**
   * The shared dense tensors a secure-aggregation round must train: exactly these. The masked vector carries only
   * them, so they set the upload's size and the noise per released value.
   */
  trainable: readonly string[];
}

/**
 * What a shop gets with `secagg: {}`: a cohort of at least 100 (the smallest for which `chooseParams` finds a
 * graph short of the complete one), 30 % dropouts and 5 % colluders assumed (n_honest = ⌊100 · 0.65⌋ = 65), 20 bits (the default
 * recipe's 8,448 values in 21,120 bytes; up to 26,214 values fit 64 KB, a larger pinned `trainable` needs fewer bits,
 * e.g. 15 for 34,816), 2^-40 / 2^-30, ε 3 per upload (the local policy's cap), the rounding at most doubling the
 * sensitivity, wrap-around at most 10⁻³ (what `decodeDdgSum` refuses above). Why 20 and not 15: a finer grid keeps
 * the rounding from inflating the sensitivity in large cohorts (docs/experiments/2026-12-07-secagg-20-bits.md).
 */
export const DEFAULT_SECAGG_POLICY: Readonly<SecAggPolicy> = {
  minCohort: 100, dropoutFraction: 0.3, colludingFraction: 0.05, bits: 20, securityBits: 40, correctnessBits: 30,
  epsilonPerRound: 3, maxRoundingInflation: 1, maxWrapProbability: 1e-3, trainable: trainedBy(DEFAULT_SECAGG_RECIPE),
};

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const int = (v: unknown, lo: number, hi: number): v is number => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/**
 * The secure-aggregation part of a policy from the shop's configuration: absent, null or false → null (the device
 * takes part in no secure-aggregation round); `true` or an object → each readable field within its bounds, the
 * default otherwise. Null too when the fractions leave no honest device in the minimum cohort.
 */
export function readSecAggPolicy(raw: unknown): SecAggPolicy | null {
  if (raw === undefined || raw === null || raw === false) return null;
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const get = (k: string): unknown => { try { return o[k]; } catch { return undefined; } };
  const d = DEFAULT_SECAGG_POLICY;
  const num = (k: keyof SecAggPolicy, lo: number, hi: number): number => { const v = get(k); return finite(v) ? Math.min(hi, Math.max(lo, v)) : d[k] as number; };
  const p: SecAggPolicy = {
    minCohort: Math.round(num('minCohort', 3, 1e9)),
    dropoutFraction: num('dropoutFraction', 0, 0.99),
    colludingFraction: num('colludingFraction', 0, 0.99),
    bits: int(get('bits'), 2, 32) ? get('bits') as number : d.bits,
    securityBits: num('securityBits', 1, 128),
    correctnessBits: num('correctnessBits', 1, 128),
    epsilonPerRound: num('epsilonPerRound', 0.01, 100),
    maxRoundingInflation: num('maxRoundingInflation', 0, 100),
    maxWrapProbability: num('maxWrapProbability', 1e-12, 0.5),
    trainable: readTrainable(get('trainable'), d.trainable),
  };
  const k = get('minDegree'), t = get('minThreshold');
  if (int(k, 2, MAX_DEGREE) && int(t, 2, k)) { p.minDegree = k; p.minThreshold = t; }
  if (p.dropoutFraction + p.colludingFraction >= 1 || honestCohort(p.minCohort, p.dropoutFraction, p.colludingFraction) < 1) return null;
  return p;
}

/** A pinned tensor list: a non-empty list of shared dense tensors (duplicates dropped), else the default. */
export function readTrainable(t: unknown, dflt: readonly string[]): string[] {
  return Array.isArray(t) && t.length > 0 && t.every((n) => (SHARED_DENSE_WEIGHTS as readonly unknown[]).includes(n)) ? [...new Set(t as string[])] : [...dflt];
}

/** The SecAgg+ security targets of a policy (what `chooseParams` takes). */
export const securityTargets = (p: SecAggPolicy): SecurityTargets =>
  ({ gamma: p.colludingFraction, delta: p.dropoutFraction, sigma: p.securityBits, eta: p.correctnessBits });

/** The `DevicePolicy` the device's `SecAggDevice` runs the protocol under: the same cohort, k and t minima. */
export function secaggDevicePolicy(p: SecAggPolicy): DevicePolicy {
  return p.minDegree !== undefined && p.minThreshold !== undefined
    ? { minCohort: p.minCohort, minDegree: p.minDegree, minThreshold: p.minThreshold }
    : { minCohort: p.minCohort, targets: securityTargets(p) };
}

/** Honest devices whose noise the device counts: ⌊minCohort × (1 − dropout − colluding)⌋ of its own policy. */
export const honestCohortOf = (p: SecAggPolicy): number => honestCohort(p.minCohort, p.dropoutFraction, p.colludingFraction);

/** The smallest k and t the policy accepts for a cohort of n, or a reason (as `SecAggDevice` decides it). */
export function requiredGraph(p: SecAggPolicy, n: number): { k: number; t: number } | string {
  if (p.minDegree !== undefined && p.minThreshold !== undefined) return { k: Math.min(n - 1, p.minDegree), t: p.minThreshold };
  const c = chooseParams(Math.max(3, n), securityTargets(p));
  return c.feasible ? c : `the policy's security targets (2^-${p.securityBits}, ${p.colludingFraction} colluding, ${p.dropoutFraction} dropping out) cannot be met with ${n} devices`;
}

/**
 * The typed view of a round's `secagg` description (`SecAggRoundDescription`, the aggregator's announcement): only
 * what the device uses, each value checked. `ddg.sigma` is the σ the aggregator announced: read, never used (the
 * device adds its own σ_dev).
 */
export type SecAggRoundView = Omit<SecAggRoundDescription, 'deadlines' | 'longPollMs' | 'urls'>;

/**
 * Reads a round's `secagg` description strictly; a problem (a string) when a field is missing, of the wrong type,
 * out of its range, or inconsistent (`ddg.tensors` not the `tensors` the round's recipe trains, `ddg.dim` not their
 * size, `d` not the padded length of `ddg.dim`). Fields the device does not use (deadlines, URLs, long-poll time) are not read here.
 */
export function readSecAggRound(raw: unknown, vector: { tensors: readonly string[]; dim: number }): SecAggRoundView | string {
  const updateDim = vector.dim;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'the secagg description is not an object';
  const o = raw as Record<string, unknown>;
  const g = (o.ddg && typeof o.ddg === 'object' && !Array.isArray(o.ddg) ? o.ddg : undefined) as Record<string, unknown> | undefined;
  if (o.protocol !== 'secagg+') return `unknown protocol ${JSON.stringify(o.protocol)}`;
  if (!int(o.bits, 2, 32)) return 'bits must be an integer in [2, 32]';
  if (!int(o.k, 1, MAX_DEGREE) || !int(o.t, 1, o.k as number)) return `k and t must be integers with 1 ≤ t ≤ k ≤ ${MAX_DEGREE}`;
  if (!int(o.minCohort, 1, Number.MAX_SAFE_INTEGER) || !int(o.maxCohort, o.minCohort as number, Number.MAX_SAFE_INTEGER)) return 'minCohort and maxCohort must be integers with 1 ≤ minCohort ≤ maxCohort';
  if (!fromB64Len(o.graphSeed, 32)) return 'graphSeed must be base64url of 32 bytes';
  if (!g) return 'the ddg parameters are missing';
  if (!int(g.dim, 1, 2 ** 31)) return 'ddg.dim must be a positive integer';
  const tensors = g.tensors;
  if (!Array.isArray(tensors) || tensors.length !== vector.tensors.length || tensors.some((n, i) => n !== vector.tensors[i])) {
    return `ddg.tensors must be the tensors the round's recipe trains, in layout order: ${vector.tensors.join(', ')}`;
  }
  if (g.dim !== updateDim) return `ddg.dim ${g.dim} is not the length ${updateDim} of the trained tensors`;
  if (o.d !== rotationLayout(updateDim).padded) return `d must be ${rotationLayout(updateDim).padded}, the padded length of ${updateDim} values`;
  if (!finite(g.clip) || !(g.clip > 0) || !finite(g.gamma) || !(g.gamma > 0)) return 'ddg.clip and ddg.gamma must be positive numbers';
  if (!finite(g.sigma) || g.sigma < 0) return 'ddg.sigma must be a number ≥ 0';
  if (!finite(g.beta) || !(g.beta >= 0 && g.beta < 1)) return 'ddg.beta must be in [0, 1)';
  if (!int(g.rotationSeed, 0, 2 ** 32 - 1)) return 'ddg.rotationSeed must be a uint32';
  return {
    protocol: 'secagg+', bits: o.bits, d: o.d as number, k: o.k, t: o.t as number, minCohort: o.minCohort, maxCohort: o.maxCohort as number, graphSeed: o.graphSeed as string,
    ddg: { tensors: [...vector.tensors], dim: g.dim, clip: g.clip, gamma: g.gamma, sigma: g.sigma, beta: g.beta, rotationSeed: g.rotationSeed },
  };
}

/** The noise a device adds in a secure-aggregation round, and what it is accounted as. */
export interface DeviceDdgNoise {
  /** σ_dev, model units: the device's own share, from its pinned policy. */
  sigma: number;
  /** Honest devices counted (from the pinned policy, never the announced cohort). */
  nHonest: number;
  /** What `DeviceAccountant.recordDdgUpload` and `ddgEpsilon` take. */
  accounting: DdgAccountingParams;
  /** What `encodeDdg` takes: the round's grid, rounding and seed with the device's σ_dev. */
  encode: DdgParams;
}

/**
 * σ_dev for a round's grid: `calibrateDdgSigma` for the pinned per-upload ε at the policy's δ over n_honest, with
 * the pinned clip and the announced γ and β at the padded dimension. Depends on no announced σ or cohort.
 */
export function deviceDdgNoise(view: SecAggRoundView, p: SecAggPolicy, clip: number, delta: number): DeviceDdgNoise {
  const nHonest = honestCohortOf(p);
  const base = { clip, gamma: view.ddg.gamma, beta: view.ddg.beta, dim: view.d, nHonest };
  const sigma = calibrateDdgSigma({ epsilon: p.epsilonPerRound, delta, rounds: 1 }, base);
  return {
    sigma, nHonest, accounting: { ...base, sigma },
    encode: { dim: view.ddg.dim, clip, gamma: view.ddg.gamma, bits: view.bits, sigma, seed: view.ddg.rotationSeed, beta: view.ddg.beta },
  };
}

/** How much the conditional rounding inflates the sensitivity at this grid: Δ₂/(C/γ) − 1. */
export const roundingInflation = (clip: number, gamma: number, dim: number, beta: number): number =>
  (roundedNormBound(clip / gamma, dim, beta) * gamma) / clip - 1;
