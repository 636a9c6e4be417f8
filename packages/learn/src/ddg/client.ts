/**
 * The device's and the server's side of the distributed discrete Gaussian (KLS21, Kairouz, Liu, Steinke 2021,
 * arXiv 2102.06387, Algorithms 1–2):
 *   device: clip to L2 norm C → rotate (round-public seed) → scale by 1/γ and round conditionally to ‖x̃‖₂ ≤ Δ₂ →
 *           add N_Z(0, σ_int²)^d with σ_int² ≥ (σ/γ)² (exact sampler) → reduce mod m = 2^bits;
 *   server: the secure sum mod m → centred integers → × γ → inverse rotation → the sum of the n updates, up to
 *           rounding error and the summed noise.
 * Privacy is accounted by accountant.ts from (C, γ, β, padded d, σ, honest n); the choice of γ and bits so that
 * the sum does not wrap is in modular.ts.
 */
import { cryptoRng, type Rng } from '../privacy/rng.js';
import { cryptoBits, DiscreteGaussianSampler, sigma2Rational, type RandomBits, type Rational } from './discrete-gaussian.js';
import { fromZmCentred, wrapProbabilityBound, type WrapParams } from './modular.js';
import { rotate, rotationLayout, unrotate, type RotationLayout } from './rotation.js';
import { scaleAndRound } from './rounding.js';

export interface DdgParams {
  /** Length of the flat update vector. */
  dim: number;
  /** L2 clip C (model units). */
  clip: number;
  /** Granularity γ: the integer grid is γ·Z. */
  gamma: number;
  /** Bits per value: values live in Z_m, m = 2^bits (≤ 32). */
  bits: number;
  /** Per-device noise standard deviation σ (model units); 0 turns the noise off. */
  sigma: number;
  /** Round-public rotation seed (uint32), the same for every device of a round and the server. */
  seed: number;
  /** Conditional rounding parameter β ∈ [0, 1). */
  beta: number;
  /** Rotation block size (power of two); default from `rotationLayout`. */
  blockSize?: number;
  /** Roundings tried before giving up (default 100). */
  maxRoundingTries?: number;
}

export interface DdgEncoded {
  /** Residues in Z_m, length = padded dimension. */
  values: Uint32Array;
  /** L2 norm of the update before clipping. */
  norm: number;
  /** Whether the update was scaled down to the clip. */
  clipped: boolean;
  /** Roundings drawn before one met the bound. */
  roundingTries: number;
  /** The exact noise variance used, in the scaled domain (≥ (σ/γ)²). */
  sigma2: Rational;
  /** The rotation layout (padded dimension). */
  layout: RotationLayout;
}

function check(p: DdgParams): RotationLayout {
  if (!(p.clip > 0) || !(p.gamma > 0) || !(p.sigma >= 0)) throw new RangeError('clip and gamma must be > 0, sigma ≥ 0');
  if (!Number.isInteger(p.bits) || p.bits < 2 || p.bits > 32) throw new RangeError(`bits must be an integer in [2, 32], got ${p.bits}`);
  return rotationLayout(p.dim, p.blockSize);
}

/**
 * Encodes one device's update. `rng` drives the rounding and `bits` the noise: on a real device both default to
 * Web Crypto; tests pass seeded sources.
 */
export function encodeDdg(delta: Float32Array, params: DdgParams, rng: Rng = cryptoRng(), bits: RandomBits = cryptoBits()): DdgEncoded {
  const layout = check(params);
  if (delta.length !== params.dim) throw new RangeError(`expected ${params.dim} values, got ${delta.length}`);
  let ss = 0;
  for (let i = 0; i < delta.length; i++) { const v = delta[i]!; if (!Number.isFinite(v)) throw new RangeError(`non-finite value at ${i}`); ss += v * v; }
  const norm = Math.sqrt(ss);
  const clipped = norm > params.clip;
  const f = clipped ? params.clip / norm : 1;
  const x = new Float64Array(delta.length);
  for (let i = 0; i < delta.length; i++) x[i] = delta[i]! * f;
  const rotated = rotate(x, params.seed, layout);
  const rounded = scaleAndRound(rotated, params.gamma, params.clip, params.beta, rng, params.maxRoundingTries);
  const sigma2 = sigma2Rational((params.sigma / params.gamma) ** 2);
  const out = new Float64Array(layout.padded);
  if (sigma2.num > 0) {
    const sampler = new DiscreteGaussianSampler(sigma2, bits);
    for (let i = 0; i < out.length; i++) out[i] = rounded.values[i]! + sampler.sample();
  } else {
    for (let i = 0; i < out.length; i++) out[i] = rounded.values[i]!;
  }
  const m = 2 ** params.bits;
  const values = new Uint32Array(out.length);
  for (let i = 0; i < out.length; i++) values[i] = ((out[i]! % m) + m) % m;
  return { values, norm, clipped, roundingTries: rounded.tries, sigma2, layout };
}

/**
 * Decodes the modular sum of `n` devices' encodings into the sum of their (clipped) updates. Refuses when the
 * wrap-around bound for n devices at these parameters exceeds `maxWrapProbability` (default 1e-3): the modulus
 * is then too small for the cohort and the decoded sum could be garbage.
 */
export function decodeDdgSum(sumModM: Uint32Array, params: DdgParams, n: number, maxWrapProbability = 1e-3): Float32Array {
  const layout = check(params);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  if (sumModM.length !== layout.padded) throw new RangeError(`expected ${layout.padded} values, got ${sumModM.length}`);
  const wrap: WrapParams = { n, clip: params.clip, sigma: params.sigma, dim: layout.padded };
  const pw = wrapProbabilityBound(wrap, params.gamma, params.bits);
  if (pw > maxWrapProbability) throw new RangeError(`modulus 2^${params.bits} too small for ${n} devices at γ = ${params.gamma}: wrap probability bound ${pw}`);
  const centred = fromZmCentred(sumModM, params.bits);
  for (let i = 0; i < centred.length; i++) centred[i] = centred[i]! * params.gamma;
  return Float32Array.from(unrotate(centred, params.seed, layout));
}
