import { describe, expect, it } from 'vitest';
import { Rng } from '@perch/model/rng';
import { conditionalRound, roundedNormBound, scaleAndRound } from './rounding.js';

describe('rounded norm bound Δ₂ (KLS21 Prop. 22 / Theorem 1)', () => {
  it('matches the official code (google-research/federated distributed_dp/accounting_utils.py rounded_l2_norm_bound)', () => {
    // Values obtained by running the reference function on these inputs (no table in the paper lists them).
    expect(roundedNormBound(100, 1024, Math.exp(-0.5))).toBeCloseTo(101.84301645179212, 9);
    expect(roundedNormBound(1000, 34816, Math.exp(-0.5))).toBeCloseTo(1004.8867076592851, 9);
    expect(roundedNormBound(50, 4096, 0)).toBe(114);
    expect(roundedNormBound(300, 34816, 1e-3)).toBeCloseTo(316.4898857283373, 9);
  });

  it('is at least the scaled clip and at most c/γ + √d, and shrinks as β grows', () => {
    for (const [c, d] of [[10, 100], [500, 34048], [3, 34048]] as const) {
      const b = roundedNormBound(c, d, 0.1);
      expect(b).toBeGreaterThan(c);
      expect(b).toBeLessThanOrEqual(c + Math.sqrt(d));
      expect(roundedNormBound(c, d, 0.5)).toBeLessThan(b);
    }
    expect(() => roundedNormBound(1, 10, 1)).toThrow(RangeError);
  });
});

describe('conditional randomised rounding', () => {
  it('is unbiased per coordinate and always within the bound', () => {
    const rng = new Rng(1), d = 1024, c = 100;
    const x = Float64Array.from({ length: d }, () => rng.normal());
    const s = c / Math.sqrt(x.reduce((a, v) => a + v * v, 0));
    x.forEach((v, i) => { x[i] = v * s; }); // ‖x‖ = c
    const bound = roundedNormBound(c, d, Math.exp(-0.5));
    const mean = new Float64Array(d);
    const reps = 100;
    let tries = 0;
    for (let r = 0; r < reps; r++) {
      const out = conditionalRound(x, bound, rng);
      expect(Math.sqrt(out.normSquared)).toBeLessThanOrEqual(bound);
      expect(out.normSquared).toBe(out.values.reduce((a, v) => a + v * v, 0));
      out.values.forEach((v, i) => { mean[i] = mean[i]! + v / reps; expect(Math.abs(v - x[i]!)).toBeLessThan(1); });
      tries += out.tries;
    }
    // Mean bias averaged over coordinates: unbiased rounding leaves only sampling error (and the small shrinkage
    // that the conditioning causes).
    let bias = 0; mean.forEach((m, i) => { bias += m - x[i]!; });
    expect(Math.abs(bias / d)).toBeLessThan(0.01);
    expect(tries / reps).toBeLessThanOrEqual(1 / (1 - Math.exp(-0.5))); // expected tries ≤ 1/(1 − β)
  });

  it('retries until the bound holds and throws after maxTries', () => {
    const x = new Float64Array(1000).fill(0.5); // ‖x‖² = 250; roundings have ‖x̃‖² ~ Bin(1000, 1/2)
    const rng = new Rng(2);
    const tight = conditionalRound(x, Math.sqrt(480), rng, 1000); // below the mean 500: needs several tries
    expect(tight.normSquared).toBeLessThanOrEqual(480);
    expect(tight.tries).toBeGreaterThan(1);
    expect(() => conditionalRound(x, Math.sqrt(300), rng, 20)).toThrow(/after 20 tries/);
  });

  it('scaleAndRound scales by 1/γ and uses Δ₂(c/γ, d, β)', () => {
    const rng = new Rng(3);
    const x = Float64Array.from({ length: 512 }, () => rng.normal() * 0.01);
    const r = scaleAndRound(x, 0.001, 1, 0.2, rng);
    expect(r.bound).toBe(roundedNormBound(1000, 512, 0.2));
    r.values.forEach((v, i) => expect(Math.abs(v - x[i]! / 0.001)).toBeLessThan(1));
  });
});
