import { describe, expect, it } from 'vitest';
import { Rng } from '@perch/model/rng';
import {
  bitsFromRng, cryptoBits, DiscreteGaussianSampler, discreteGaussianPmf, discreteGaussianVariance, floorSqrtRational,
  sampleDiscreteLaplace, sigma2Rational, uniformInt, type Rational,
} from './discrete-gaussian.js';

/** Upper 0.1 % point of χ²(k) (Wilson–Hilferty). */
function chi2Critical(k: number): number {
  const z = 3.0902; // standard normal upper 0.1 %
  return k * (1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k))) ** 3;
}

/** χ² statistic against the exact pmf, cells merged so each expects ≥ 20; and the KS distance of the CDFs. */
function goodnessOfFit(samples: Int32Array, sigma2: number): { chi2: number; df: number; ks: number } {
  const n = samples.length, pmf = discreteGaussianPmf(sigma2);
  const counts = new Map<number, number>();
  for (const x of samples) counts.set(x, (counts.get(x) ?? 0) + 1);
  const lim = Math.ceil(12 * Math.sqrt(sigma2) + 12);
  let chi2 = 0, df = -1, expAcc = 0, obsAcc = 0, ks = 0, cdf = 0, ecdf = 0;
  for (let x = -lim; x <= lim; x++) {
    const p = pmf(x), o = counts.get(x) ?? 0;
    cdf += p; ecdf += o / n; ks = Math.max(ks, Math.abs(cdf - ecdf));
    expAcc += n * p; obsAcc += o;
    if (expAcc >= 20 && n * (1 - cdf) >= 20) { chi2 += (obsAcc - expAcc) ** 2 / expAcc; df++; expAcc = 0; obsAcc = 0; }
  }
  chi2 += (obsAcc - expAcc) ** 2 / expAcc; df++;
  return { chi2, df, ks };
}

describe('uniform integers and the discrete Laplace', () => {
  it('uniformInt is uniform on [0, n) for small and above-2³² n', () => {
    const bits = bitsFromRng(new Rng(1));
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70000; i++) counts[uniformInt(bits, 7)]++;
    const chi2 = counts.reduce((s, c) => s + (c - 10000) ** 2 / 10000, 0);
    expect(chi2).toBeLessThan(chi2Critical(6));
    const big = 3 * 2 ** 40 + 5;
    let below = 0;
    for (let i = 0; i < 20000; i++) { const v = uniformInt(bits, big); expect(v).toBeLessThan(big); if (v < big / 3) below++; }
    expect(Math.abs(below / 20000 - 1 / 3)).toBeLessThan(0.015);
  });

  it('discrete Laplace(t) has Pr[x] ∝ exp(−|x|/t)', () => {
    const bits = bitsFromRng(new Rng(2)), t = 3, n = 100000;
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) { const x = sampleDiscreteLaplace(bits, t); counts.set(x, (counts.get(x) ?? 0) + 1); }
    const z = (Math.exp(1 / t) + 1) / (Math.exp(1 / t) - 1);
    for (const x of [-4, -1, 0, 1, 2, 6]) {
      const p = Math.exp(-Math.abs(x) / t) / z;
      expect(Math.abs((counts.get(x) ?? 0) / n - p)).toBeLessThan(4 * Math.sqrt(p / n));
    }
  });
});

describe('exact discrete Gaussian sampler', () => {
  const cases: Array<[string, Rational, number]> = [
    ['σ² = 1/4', { num: 1, den: 4 }, 200000],
    ['σ² = 1', { num: 1, den: 1 }, 200000],
    ['σ² = 9/2', { num: 9, den: 2 }, 200000],
    ['σ² = 100', { num: 100, den: 1 }, 200000],
    ['σ² = 12345/7', { num: 12345, den: 7 }, 100000],
  ];
  for (const [name, s2, n] of cases) {
    it(`${name}: mean, variance, χ² and KS against the exact pmf`, () => {
      const sigma2 = s2.num / s2.den;
      const x = new DiscreteGaussianSampler(s2, bitsFromRng(new Rng(1000 + s2.num))).sampleVector(n);
      let m = 0, v = 0;
      for (const y of x) { m += y; v += y * y; }
      m /= n; v /= n;
      const trueVar = discreteGaussianVariance(sigma2);
      expect(trueVar).toBeLessThanOrEqual(sigma2);
      expect(Math.abs(m)).toBeLessThan(4 * Math.sqrt(trueVar / n));
      // Var of the sample second moment ≈ 2σ⁴/n for a near-Gaussian.
      expect(Math.abs(v - trueVar)).toBeLessThan(4 * Math.sqrt(2 / n) * trueVar + 1e-9);
      const g = goodnessOfFit(x, sigma2);
      expect(g.chi2).toBeLessThan(chi2Critical(g.df));
      expect(g.ks).toBeLessThan(1.95 / Math.sqrt(n)); // KS critical value at 0.1 % (conservative for discrete laws)
    });
  }

  it('has Gaussian tails: Pr[|X| ≥ kσ] ≤ 2·exp(−k²/2) (σ²-subgaussian) and no draw beyond 7σ in 400k', () => {
    const sigma2 = 50, sigma = Math.sqrt(sigma2), n = 400000;
    const x = new DiscreteGaussianSampler({ num: 50, den: 1 }, bitsFromRng(new Rng(7))).sampleVector(n);
    for (const k of [2, 3, 4]) {
      const frac = x.filter((y) => Math.abs(y) >= k * sigma).length / n;
      expect(frac).toBeLessThan(2 * Math.exp(-(k * k) / 2));
      expect(frac).toBeGreaterThan(0); // the tails are reached, not truncated
    }
    expect(x.every((y) => Math.abs(y) < 7 * sigma)).toBe(true);
  });

  it('takes the BigInt path for large σ² and when forced, with the same law', () => {
    const big = new DiscreteGaussianSampler({ num: 10 ** 10, den: 3 }, bitsFromRng(new Rng(8))); // 2·num·den·t² > 2⁵³
    const xs = big.sampleVector(20000);
    let v = 0; for (const y of xs) v += y * y;
    expect(Math.abs(v / xs.length / (10 ** 10 / 3) - 1)).toBeLessThan(0.05);
    const forced = new DiscreteGaussianSampler({ num: 9, den: 2 }, bitsFromRng(new Rng(9)), { forceBigInt: true }).sampleVector(100000);
    const g = goodnessOfFit(forced, 4.5);
    expect(g.chi2).toBeLessThan(chi2Critical(g.df));
  });

  it('is deterministic under a seed and returns 0 for σ² = 0', () => {
    const a = new DiscreteGaussianSampler({ num: 7, den: 3 }, bitsFromRng(new Rng(3))).sampleVector(100);
    const b = new DiscreteGaussianSampler({ num: 7, den: 3 }, bitsFromRng(new Rng(3))).sampleVector(100);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(new DiscreteGaussianSampler({ num: 0, den: 1 }, cryptoBits()).sampleVector(5))).toEqual([0, 0, 0, 0, 0]);
  });

  it('floorSqrtRational and sigma2Rational are exact and round up', () => {
    expect(floorSqrtRational({ num: 9, den: 1 })).toBe(3);
    expect(floorSqrtRational({ num: 899999, den: 100000 })).toBe(2);
    expect(floorSqrtRational({ num: 2 ** 40 - 1, den: 1 })).toBe(2 ** 20 - 1);
    for (const x of [0.3, 1, 2.5, 123.456, 98765.4321, 1e9]) {
      const r = sigma2Rational(x);
      expect(r.num / r.den).toBeGreaterThanOrEqual(x);
      expect(r.num / r.den - x).toBeLessThanOrEqual(1 / r.den);
    }
    expect(() => new DiscreteGaussianSampler({ num: 1.5, den: 1 }, cryptoBits())).toThrow(RangeError);
  });

  it('draws d = 34,816 values per round fast enough for a worker (figure printed, not asserted)', () => {
    const d = 34816;
    for (const sigma of [10, 100, 1000, 10000]) { // 10⁴: the order of σ/γ in the default round at 20 bits
      const s = new DiscreteGaussianSampler(sigma2Rational(sigma * sigma), cryptoBits());
      s.sampleVector(2000); // warm-up
      const t0 = performance.now();
      const v = s.sampleVector(d);
      const ms = performance.now() - t0;
      console.log(`discrete Gaussian sampler: σ=${sigma}: ${d} draws in ${ms.toFixed(1)} ms (${(d / ms * 1000 / 1e6).toFixed(2)} M/s)`);
      expect(v.length).toBe(d);
    }
  });
});
