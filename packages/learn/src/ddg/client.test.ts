import { describe, expect, it } from 'vitest';
import { Rng } from '@perch/model/rng';
import { decodeDdgSum, encodeDdg, type DdgParams } from './client.js';
import { bitsFromRng } from './discrete-gaussian.js';
import { sumModM } from './modular.js';
import { rotate, rotationLayout } from './rotation.js';
import { scaleAndRound } from './rounding.js';

const l2 = (v: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < v.length; i++) s += v[i]! ** 2; return Math.sqrt(s); };

describe('end to end: 50 devices, modular secure sum, decode', () => {
  const dim = 3000, n = 50;
  const base: DdgParams = { dim, clip: 1, gamma: 1e-3, bits: 20, sigma: 0.01, seed: 424242, beta: Math.exp(-0.5) };
  const deltas = (() => {
    const rng = new Rng(11);
    return Array.from({ length: n }, () => {
      const v = Float32Array.from({ length: dim }, () => rng.normal() * 0.05); // norms ≈ 2.7: all get clipped to 1
      return v;
    });
  })();
  const clippedSum = (() => {
    const s = new Float64Array(dim);
    for (const d of deltas) { const f = Math.min(1, 1 / l2(d)); d.forEach((v, i) => { s[i] = s[i]! + v * f; }); }
    return s;
  })();

  it('with noise: the decoded sum equals the true sum within rounding + noise error', () => {
    const encs = deltas.map((d, i) => encodeDdg(d, base, new Rng(100 + i), bitsFromRng(new Rng(200 + i))));
    encs.forEach((e, i) => { expect(e.clipped).toBe(true); expect(e.norm).toBeCloseTo(l2(deltas[i]!), 4); });
    const decoded = decodeDdgSum(sumModM(encs.map((e) => e.values), base.bits), base, n);
    expect(decoded.length).toBe(dim);
    // Per coordinate the error is γ·(rounding errors + noise) rotated back: variance ≤ n(γ²/4 + σ²) (orthogonal
    // rotation keeps the total squared error). Check the mean squared error and the worst coordinate.
    const perCoordVar = n * (base.gamma ** 2 / 4 + base.sigma ** 2);
    let se = 0, worst = 0;
    decoded.forEach((v, i) => { const e = v - clippedSum[i]!; se += e * e; worst = Math.max(worst, Math.abs(e)); });
    expect(se / dim).toBeLessThan(1.1 * perCoordVar);
    expect(se / dim).toBeGreaterThan(0.5 * n * base.sigma ** 2); // the noise is really there
    expect(worst).toBeLessThan(5 * Math.sqrt(perCoordVar));
  });

  it('with noise off: the decoded sum is exactly γ·(sum of the rounded rotated vectors), rotated back', () => {
    const p = { ...base, sigma: 0 };
    const layout = rotationLayout(dim);
    const encs = deltas.map((d, i) => encodeDdg(d, p, new Rng(300 + i), bitsFromRng(new Rng(1))));
    // Recompute each device's rounded vector with the same rounding randomness.
    const intSum = new Float64Array(layout.padded);
    deltas.forEach((d, i) => {
      const f = Math.min(1, 1 / l2(d));
      const r = scaleAndRound(rotate(Array.from(d, (v) => v * f), p.seed, layout), p.gamma, p.clip, p.beta, new Rng(300 + i));
      r.values.forEach((v, j) => { intSum[j] = intSum[j]! + v; });
    });
    const s = sumModM(encs.map((e) => e.values), p.bits);
    const m = 2 ** p.bits;
    s.forEach((v, j) => expect(v).toBe(((intSum[j]! % m) + m) % m));
    const decoded = decodeDdgSum(s, p, n);
    let se = 0; decoded.forEach((v, i) => { se += (v - clippedSum[i]!) ** 2; });
    expect(se / dim).toBeLessThan(n * p.gamma ** 2 / 4); // rounding error only
  });

  it('the upload for d ≈ 34k fits 64 KB at 15 bits; bad inputs are refused', () => {
    const p: DdgParams = { dim: 34000, clip: 1, gamma: 1e-3, bits: 15, sigma: 0, seed: 1, beta: 0.5 };
    const e = encodeDdg(new Float32Array(34000).fill(1e-3), p, new Rng(1), bitsFromRng(new Rng(2)));
    expect(e.values.length).toBe(34816);
    expect(Math.ceil((e.values.length * p.bits) / 8)).toBeLessThanOrEqual(65536);
    expect(() => encodeDdg(new Float32Array(10), p)).toThrow(RangeError);
    expect(() => decodeDdgSum(new Uint32Array(34816), { ...p, bits: 8, sigma: 0.01 }, 1000)).toThrow(/too small/);
  });
});
