import { describe, expect, it } from 'vitest';
import { Rng } from '@perch/model/rng';
import {
  addModM, fromZmCentred, gammaForBits, pack, packedLength, stddevsForWrapProbability, sumModM, sumVarianceProxy, toZm, unpack,
  wrapProbabilityBound,
} from './modular.js';

describe('Z_m arithmetic', () => {
  it('maps integers to residues and back to centred integers in [−m/2, m/2)', () => {
    const xs = [0, 1, -1, 8191, -8192, 8192, 123456, -123456];
    const r = toZm(xs, 14);
    expect(Array.from(r)).toEqual(xs.map((x) => ((x % 16384) + 16384) % 16384));
    expect(Array.from(fromZmCentred(r, 14))).toEqual([0, 1, -1, 8191, -8192, -8192, 123456 - 8 * 16384, -123456 + 8 * 16384]);
    expect(Array.from(fromZmCentred(toZm([-(2 ** 31), 2 ** 31 - 1, -5], 32), 32))).toEqual([-(2 ** 31), 2 ** 31 - 1, -5]);
  });

  it('sums many vectors mod m like integer sums reduced once', () => {
    const rng = new Rng(1);
    for (const bits of [8, 14, 32]) {
      const vecs = Array.from({ length: 300 }, () => Array.from({ length: 50 }, () => rng.int(2000) - 1000));
      const s = sumModM(vecs.map((v) => toZm(v, bits)), bits);
      const exact = Array.from({ length: 50 }, (_, i) => vecs.reduce((a, v) => a + v[i]!, 0));
      expect(Array.from(s)).toEqual(Array.from(toZm(exact, bits)));
    }
    expect(() => sumModM([new Uint32Array(2), new Uint32Array(3)], 8)).toThrow(RangeError);
  });

  it('adds into a running sum in place, as sumModM sums the same vectors', () => {
    const rng = new Rng(3);
    for (const bits of [8, 15, 32]) {
      const vecs = Array.from({ length: 40 }, () => toZm(Array.from({ length: 30 }, () => rng.int(2000) - 1000), bits));
      const acc = new Uint32Array(30);
      for (const v of vecs) expect(addModM(acc, v, bits)).toBe(acc);
      expect(Array.from(acc)).toEqual(Array.from(sumModM(vecs, bits)));
    }
    expect(() => addModM(new Uint32Array(2), new Uint32Array(3), 8)).toThrow(RangeError);
  });

  it('packs at exactly `bits` bits a value and unpacks losslessly', () => {
    const rng = new Rng(2);
    for (const bits of [1, 7, 14, 15, 16, 31, 32]) {
      const m = 2 ** bits, n = 1001;
      const v = Uint32Array.from({ length: n }, (_, i) => (i < 2 ? [0, m - 1][i]! : Math.floor(rng.next() * m)));
      const bytes = pack(v, bits);
      expect(bytes.length).toBe(Math.ceil((n * bits) / 8));
      expect(Array.from(unpack(bytes, bits, n))).toEqual(Array.from(v));
    }
    expect(Array.from(pack([1, 2, 3], 2))).toEqual([0b111001]); // LSB first
    expect(packedLength(34816, 15)).toBeLessThanOrEqual(65536);
    expect(() => pack([16], 4)).toThrow(RangeError);
  });
});

describe('wrap-around bound and the choice of γ (KLS21 Eq. 61)', () => {
  it('gammaForBits matches the official heuristic_scale_factor (γ = 1/scale)', () => {
    // google-research/federated distributed_dp/accounting_utils.py heuristic_scale_factor, run on these inputs:
    // (σ, c, bits, n, d, k, ρ) → scale.
    const cases: Array<[number, number, number, number, number, number, number]> = [
      [0.01, 1, 16, 1000, 34816, 4, 1525.89224116595],
      [0.05, 0.5, 14, 700, 34816, 3, 1189.6527531695701],
      [1e-3, 1, 20, 100, 2 ** 20, 4, 1335195.2656679496],
    ];
    for (const [sigma, clip, bits, n, dim, k, scale] of cases) {
      expect(Math.abs(1 / gammaForBits({ n, clip, sigma, dim }, bits, k) / scale - 1)).toBeLessThan(1e-12);
    }
    expect(() => gammaForBits({ n: 1000, clip: 1, sigma: 0.01, dim: 100 }, 4, 4)).toThrow(RangeError);
  });

  it('at γ from k = stddevsForWrapProbability(p) the wrap bound is p, and the empirical wrap rate is below it', () => {
    const w = { n: 1000, clip: 1, sigma: 0.01, dim: 34816 };
    const k = stddevsForWrapProbability(1e-3, w.dim);
    const gamma = gammaForBits(w, 16, k);
    expect(wrapProbabilityBound(w, gamma, 16)).toBeCloseTo(1e-3, 8);
    expect(wrapProbabilityBound(w, gamma * 1.2, 16)).toBeLessThan(1e-3);
    // Monte Carlo of one coordinate's scaled sum, Gaussian with the proxy variance: |Z| > m/2 is rarer than p/d.
    const v = sumVarianceProxy(w, gamma), rng = new Rng(3);
    let out = 0;
    for (let i = 0; i < 200000; i++) if (Math.abs(rng.normal() * Math.sqrt(v)) >= 2 ** 15) out++;
    expect(out).toBe(0);
  });
});
