import { describe, expect, it } from 'vitest';
import { Rng } from '@perch/model/rng';
import { encodeDdg, type DdgParams } from './client.js';
import { bitsFromRng, discreteGaussianVariance, sigma2Rational } from './discrete-gaussian.js';
import { addModM, toZm } from './modular.js';
import { rotationLayout } from './rotation.js';
import { roundedNormBound } from './rounding.js';
import { calibrateDdgSigma } from './accountant.js';
import { DDG_BETA, ddgScaleFixedPoint, gammaForSigma } from './scale.js';
import { centredNorm, checkDdgSum, sumNormBound, sumNormBoundParts, SUM_BOUND_FAILURE } from './sum-bound.js';

const DIM = 2000, BITS = 15, N = 140; // N: the largest cohort admitted for 100 expected devices (maxCohortFor(100))
const PADDED = rotationLayout(DIM).padded;

/** A round's parameters as the aggregator picks them: γ so that N devices' sum fits 2^BITS at this σ. */
function round(sigma: number, seed = 77): DdgParams {
  const gamma = gammaForSigma({ clip: 1, dim: PADDED, bits: BITS, maxCohort: N }, sigma);
  return { dim: DIM, clip: 1, gamma, bits: BITS, sigma, seed, beta: DDG_BETA };
}

/** The modular sum of `n` honest encodings of the deltas `deltaOf(i)`. */
function honestSum(p: DdgParams, n: number, deltaOf: (i: number) => Float32Array, seed: number): Uint32Array {
  const acc = new Uint32Array(PADDED);
  for (let i = 0; i < n; i++) addModM(acc, encodeDdg(deltaOf(i), p, new Rng(seed + i), bitsFromRng(new Rng(seed + 1000 + i))).values, p.bits);
  return acc;
}

const unitDelta = (rng: Rng, dim = DIM): Float32Array => {
  const v = Float32Array.from({ length: dim }, () => rng.normal());
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};

describe('sumNormBound: what n honest devices\' sum stays under', () => {
  it('is n·Δ₂ without noise, grows with n, and refuses bad input', () => {
    const p = { n: 10, clip: 1, gamma: 0.01, beta: DDG_BETA, dim: 1024, sigma: 0 };
    expect(sumNormBound(p)).toBeCloseTo(10 * roundedNormBound(100, 1024, DDG_BETA), 9);
    const noisy = { ...p, sigma: 0.5 };
    const parts = sumNormBoundParts(noisy);
    const s2 = sigma2Rational(50 ** 2);
    expect(parts.noiseProxy).toBe((10 * s2.num) / s2.den);
    // The formula of the header, written out once more.
    const x = Math.log(2 / SUM_BOUND_FAILURE), a = parts.signal, v = parts.noiseProxy;
    expect(parts.bound).toBeCloseTo(Math.sqrt(a * a + 2 * a * Math.sqrt(2 * v * x) + v * (1024 + 2 * Math.sqrt(1024 * x) + 2 * x)), 6);
    expect(sumNormBound({ ...noisy, n: 11 })).toBeGreaterThan(parts.bound);
    expect(sumNormBound(noisy, 1e-3)).toBeLessThan(parts.bound);
    expect(() => sumNormBound({ ...p, n: 0 })).toThrow(RangeError);
    expect(() => sumNormBound(p, 0)).toThrow(RangeError);
  });

  it('holds for honest sums at the largest cohort, aligned or not, and is within 20 % of the worst of them at d = 2,048', () => {
    for (const sigma of [0.5, 0.002]) { // noise-dominated (about the default σ/C) and signal-dominated
      const p = round(sigma);
      const same = unitDelta(new Rng(5));
      // Every device sends the same direction: the signal reaches n·‖x̃‖ ≈ n·Δ₂, the worst honest case.
      const aligned = checkDdgSum(honestSum(p, N, () => same, 10), p, N);
      expect(aligned.ok).toBe(true);
      expect(aligned.bound / aligned.norm).toBeLessThan(sigma > 0.1 ? 1.2 : 1.02);
      const rng = new Rng(6);
      const spread = checkDdgSum(honestSum(p, N, () => unitDelta(rng), 20), p, N);
      expect(spread.ok).toBe(true);
      // Zero deltas (noise alone): under the bound, which still allows for the n·Δ₂ the devices could have sent.
      const zero = checkDdgSum(honestSum(p, N, () => new Float32Array(DIM), 30), p, N);
      expect(zero.ok).toBe(true);
      if (sigma > 0.1) expect(zero.bound / zero.norm).toBeLessThan(1.35);
    }
  });

  it('at the aggregator\'s dimension and largest cohort, is within a few per cent of the worst honest sum\'s expected norm', () => {
    // d = 34,816 (a 34,694-value model), N = 140, σ/C = 0.55 (the default round's): the expected squared norm of
    // N aligned clipped vectors plus N·d discrete Gaussians, against the bound.
    const d = 34_816, sigma = 0.55;
    const gamma = gammaForSigma({ clip: 1, dim: d, bits: BITS, maxCohort: N }, sigma);
    const b = sumNormBoundParts({ n: N, clip: 1, gamma, beta: DDG_BETA, dim: d, sigma });
    const c = 1 / gamma;
    const expected = Math.sqrt((N * Math.sqrt(c * c + d / 6)) ** 2 + N * d * discreteGaussianVariance((sigma / gamma) ** 2));
    expect(b.bound / expected).toBeGreaterThan(1);
    expect(b.bound / expected).toBeLessThan(1.05);
  });

  it('leaves a liar, at the default round, a vector of about 200 honest devices\' worth along a direction of its choice (docs/secure-aggregation.md)', () => {
    // The aggregator's default round: 100 expected devices (largest cohort 140), d = 8,448 (the Beauty model's 8,256
    // values the secure-aggregation recipe trains) at 15 bits, σ calibrated for ε 3 at δ 1e-10 over 65 honest
    // devices, with γ at its fixed point (secagg/params.ts).
    const d = 8_448, nHonest = 65, n = 100, K = 100;
    const { gamma, sigma } = ddgScaleFixedPoint({ clip: 1, dim: d, bits: BITS, maxCohort: N }, (g) => calibrateDdgSigma({ epsilon: 3, delta: 1e-10, rounds: 1 }, { clip: 1, gamma: g, beta: DDG_BETA, dim: d, nHonest }));
    const b = sumNormBound({ n, clip: 1, gamma, beta: DDG_BETA, dim: d, sigma });
    // 100 honest devices with clipped, mutually orthogonal updates: the expected squared norm of their sum.
    const c = 1 / gamma, honest = Math.sqrt(n * (c * c + d / 6) + n * d * discreteGaussianVariance((sigma / gamma) ** 2));
    const slack = Math.sqrt(b ** 2 - honest ** 2), delta2 = roundedNormBound(c, d, DDG_BETA);
    expect(sigma).toBeCloseTo(0.539, 3);
    expect(gamma * b).toBeCloseTo(537, 0); // the released sum's norm never exceeds this (model units)
    expect(gamma * honest).toBeCloseTo(496, 0); // almost all of it noise
    expect(gamma * delta2).toBeCloseTo(1.009, 3); // one honest device's largest contribution
    expect(slack / delta2).toBeGreaterThan(200);
    expect(slack / delta2).toBeLessThan(210);
    expect((gamma * slack) / K).toBeCloseTo(2.08, 2); // in the published mean (÷ the denominator K)
  });

  it('is exceeded no more often than its failure probability (many small sums of aligned devices)', () => {
    // At p = 0.05 the bound is close enough to the typical norm that a wrong (too small) formula would show.
    const n = 3, d = 64, trials = 400;
    const p: DdgParams = { dim: d, clip: 16, gamma: 1, bits: 20, sigma: 2, seed: 3, beta: DDG_BETA };
    expect(rotationLayout(d).padded).toBe(d);
    const bound = sumNormBound({ n, clip: 16, gamma: 1, beta: DDG_BETA, dim: d, sigma: 2 }, 0.05);
    const rng = new Rng(9), bits = bitsFromRng(new Rng(10));
    const same = unitDelta(new Rng(11), d).map((v) => v * 16);
    let over = 0, sumSq = 0;
    for (let t = 0; t < trials; t++) {
      const acc = new Uint32Array(d);
      for (let i = 0; i < n; i++) addModM(acc, encodeDdg(same, p, rng, bits).values, p.bits);
      const norm = centredNorm(acc, p.bits);
      sumSq += norm * norm;
      if (norm > bound) over++;
    }
    expect(over / trials).toBeLessThanOrEqual(0.05);
    expect(Math.sqrt(sumSq / trials) / bound).toBeGreaterThan(0.75); // and it is not far above the typical norm
  });
});

describe('checkDdgSum: a lying device in the sum', () => {
  const p = round(0.5);
  const rng = new Rng(7);
  const honest = Array.from({ length: N - 1 }, () => unitDelta(rng));
  const bound = sumNormBound({ n: N, clip: 1, gamma: p.gamma, beta: p.beta, dim: PADDED, sigma: p.sigma });
  /** A liar's residues: `dir` scaled to norm t and rounded (built directly, no clip, no rounding bound). */
  const liar = (dir: Float64Array, t: number): Uint32Array => { const n = Math.hypot(...dir); return toZm(Array.from(dir, (v) => Math.round((v / n) * t)), BITS); };
  const flat = (): Float64Array => Float64Array.from({ length: PADDED }, () => (rng.next() < 0.5 ? -1 : 1));

  it('refuses garbage residues from one device, and a vector far beyond what the others can cancel', () => {
    const base = honestSum(p, N - 1, (i) => honest[i]!, 40);
    const garbage = Uint32Array.from({ length: PADDED }, () => rng.nextU32() % 2 ** BITS);
    const g = checkDdgSum(addModM(base.slice(), garbage, BITS), p, N);
    expect(g.ok).toBe(false);
    expect(g.norm / g.bound).toBeGreaterThan(2);
    // Norm 2.5·B in the scaled domain: whatever the others sent (‖their sum‖ ≤ B), the total is above B.
    expect(checkDdgSum(addModM(base.slice(), liar(flat(), 2.5 * bound), BITS), p, N).ok).toBe(false);
    // The honest sum of all N passes.
    expect(checkDdgSum(addModM(base.slice(), encodeDdg(honest[0]!, p, new Rng(3), bitsFromRng(new Rng(4))).values, BITS), p, N).ok).toBe(true);
  });

  it('lets through any vector that keeps the sum under the bound: the slack is what a liar can add undetected', () => {
    const base = honestSum(p, N - 1, (i) => honest[i]!, 50);
    const baseNorm = centredNorm(base, BITS);
    const centred = Array.from(base, (r) => (r >= 2 ** (BITS - 1) ? r - 2 ** BITS : r));
    // A direction orthogonal to the others' sum (as any fixed direction nearly is, against isotropic noise).
    const e = flat();
    const dot = e.reduce((s, v, i) => s + v * centred[i]!, 0);
    e.forEach((v, i) => { e[i] = v - (dot / baseNorm ** 2) * centred[i]!; });
    const slack = Math.sqrt(bound ** 2 - baseNorm ** 2);
    expect(checkDdgSum(addModM(base.slice(), liar(e, 0.995 * slack), BITS), p, N).ok).toBe(true);
    expect(checkDdgSum(addModM(base.slice(), liar(e, 1.005 * slack), BITS), p, N).ok).toBe(false);
    // At this noise the slack is many honest devices' worth: the docs state this limit, it is not a detection of every lie.
    expect(slack / roundedNormBound(1 / p.gamma, PADDED, p.beta)).toBeGreaterThan(20);
  });
});
