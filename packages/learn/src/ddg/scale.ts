/**
 * The grid γ and the per-device noise σ of a round, chosen together. γ must let the sum of the largest cohort
 * fit the modulus 2^bits (it grows with σ: `gammaForBits`), and σ must reach the privacy target at that grid (it
 * grows with γ, through the rounding's inflation of the sensitivity). Both are iterated to their fixed point from
 * a tiny γ. The aggregator (per-round ε), the simulator (the device's budget over its uploads) and the device
 * policy's tests differ only in how σ follows from γ, which the caller passes.
 */
import { gammaForBits, stddevsForWrapProbability } from './modular.js';

/** Conditional rounding parameter β = e^-0.5 (the KLS21 authors' default: ≤ 2.5 expected roundings, Δ₂ near its floor). */
export const DDG_BETA = Math.exp(-0.5);
/** Bound on the probability that the largest admitted cohort's sum wraps in some coordinate. */
export const WRAP_PROBABILITY = 1e-6;

export interface GridParams {
  clip: number;
  /** Padded (rotated) dimension. */
  dim: number;
  bits: number;
  /** Most devices whose vectors are summed. */
  maxCohort: number;
}

/** γ for a given σ: the sum of `maxCohort` devices wraps with probability at most `WRAP_PROBABILITY`. */
export function gammaForSigma(p: GridParams, sigma: number): number {
  return gammaForBits({ n: p.maxCohort, clip: p.clip, sigma, dim: p.dim }, p.bits, stddevsForWrapProbability(WRAP_PROBABILITY, p.dim));
}

/**
 * γ and σ at their fixed point (at most 50 steps, until γ moves by ≤ 1e-9 relative). `converged` is false when the
 * iteration ran away instead: too few bits or honest devices for the target leave no fixed point.
 */
export function ddgScaleFixedPoint(p: GridParams, sigmaAt: (gamma: number) => number): { gamma: number; sigma: number; converged: boolean } {
  let gamma = 1e-6 * p.clip, sigma = sigmaAt(gamma), converged = false;
  for (let i = 0; i < 50 && !converged; i++) {
    const next = gammaForSigma(p, sigma);
    converged = Math.abs(next - gamma) <= 1e-9 * next;
    gamma = next;
    sigma = sigmaAt(gamma);
  }
  return { gamma, sigma, converged };
}
