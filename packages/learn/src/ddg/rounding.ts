/**
 * Scaling by 1/γ and conditional randomised rounding to the integer grid (KLS21, Kairouz, Liu, Steinke 2021,
 * arXiv 2102.06387, Sec. 4.1 and Proposition 22, as cited by the official code's `rounded_l2_norm_bound`).
 *
 * Each coordinate x_i is rounded to ⌊x_i⌋ + Bernoulli(x_i − ⌊x_i⌋) (unbiased); the whole vector is rounded again
 * until its L2 norm is at most
 *   Δ₂ = min{ sqrt( c'² + d/4 + sqrt(2·log(1/β))·(c' + √d/2) ),  c' + √d }      (c' = c/γ, the scaled clip)
 * (KLS21 Theorem 1 / Prop. 22 in the scaled domain; β = 0 keeps only the deterministic bound c' + √d, which every
 * rounding meets since |x̃_i − x_i| < 1). For ‖x‖₂ ≤ c' one rounding meets the first bound with probability at
 * least 1 − β, so the expected number of tries is at most 1/(1 − β). The accepted vector always satisfies
 * ‖x̃‖₂ ≤ Δ₂ (checked exactly: integer sum of squares against Δ₂²), which is the only fact the privacy accounting
 * uses; after `maxTries` failures the function throws rather than send a vector outside the bound.
 *
 * Randomness: the `Rng` interface of privacy/rng.ts (`cryptoRng()` on real devices, a seeded generator in tests).
 */
import type { Rng } from '../privacy/rng.js';

/** Δ₂, the L2 bound of a conditionally rounded vector, in the scaled (integer) domain. */
export function roundedNormBound(scaledClip: number, dim: number, beta: number): number {
  if (!(scaledClip >= 0)) throw new RangeError(`scaled clip must be ≥ 0, got ${scaledClip}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`beta must be in [0, 1), got ${beta}`);
  const always = scaledClip + Math.sqrt(dim);
  if (beta === 0) return always;
  const sq = scaledClip * scaledClip + dim / 4 + Math.sqrt(2 * Math.log(1 / beta)) * (scaledClip + Math.sqrt(dim) / 2);
  return Math.min(always, Math.sqrt(sq));
}

export interface RoundingResult {
  /** The rounded integer vector. */
  values: Int32Array;
  /** Its squared L2 norm (an exact integer). */
  normSquared: number;
  /** Number of roundings drawn (1 = first try accepted). */
  tries: number;
}

/**
 * Conditional randomised rounding of an already scaled vector: rounds until ‖x̃‖₂ ≤ bound; throws after
 * `maxTries` roundings.
 */
export function conditionalRound(x: ArrayLike<number>, bound: number, rng: Rng, maxTries = 100): RoundingResult {
  if (!(bound >= 0)) throw new RangeError(`bound must be ≥ 0, got ${bound}`);
  const bound2 = bound * bound;
  const n = x.length;
  const floors = new Float64Array(n), fracs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v) || Math.abs(v) >= 2 ** 31 - 1) throw new RangeError(`value ${v} at ${i} cannot be rounded to Int32`);
    const f = Math.floor(v);
    floors[i] = f; fracs[i] = v - f;
  }
  const out = new Int32Array(n);
  for (let tries = 1; tries <= maxTries; tries++) {
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const r = floors[i]! + (rng.next() < fracs[i]! ? 1 : 0);
      out[i] = r;
      ss += r * r;
    }
    if (ss <= bound2) return { values: out, normSquared: ss, tries };
  }
  throw new Error(`conditional rounding: no rounding within L2 bound ${bound} after ${maxTries} tries (input norm above the scaled clip, or β too small)`);
}

/** Scales `x` by 1/γ and rounds it conditionally to the bound Δ₂(c/γ, d, β). */
export function scaleAndRound(x: ArrayLike<number>, gamma: number, clip: number, beta: number, rng: Rng, maxTries = 100): RoundingResult & { bound: number } {
  if (!(gamma > 0)) throw new RangeError(`gamma must be > 0, got ${gamma}`);
  const bound = roundedNormBound(clip / gamma, x.length, beta);
  const scaled = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) scaled[i] = x[i]! / gamma;
  return { ...conditionalRound(scaled, bound, rng, maxTries), bound };
}
