import { describe, expect, it } from 'vitest';
import { aggregate, centralNoiseProblem, coordinateMedian, fedAvg, fromArray, releaseMean, roundWeighting, trimmedMean, zeroFrozen } from './index.js';
import { addGaussianNoise } from '../../client/index.js';
import { makeLayout } from '../../update/index.js';
import { Rng } from '@perch/model/rng';

const v = (...xs: number[]) => Float32Array.from(xs);

describe('aggregation rules', () => {
  it('FedAvg is the weighted mean', async () => {
    const r = await fedAvg(fromArray([{ delta: v(1, 0, 2), weight: 1 }, { delta: v(3, 4, -2), weight: 3 }]), 3);
    expect(Array.from(r.delta)).toEqual([2.5, 3, -1]);
    expect(r.count).toBe(2);
    expect(r.totalWeight).toBe(4);
  });

  it('FedAvg of nothing is a zero delta', async () => {
    const r = await fedAvg(fromArray([]), 2);
    expect(Array.from(r.delta)).toEqual([0, 0]);
  });

  it('coordinate-wise median resists an outlier (odd and even counts)', async () => {
    const items = [v(1, 10), v(2, 20), v(1000, -1000)].map((delta) => ({ delta, weight: 1 }));
    expect(Array.from((await coordinateMedian(fromArray(items), 2)).delta)).toEqual([2, 10]);
    const even = [...items, { delta: v(3, 30), weight: 1 }];
    expect(Array.from((await coordinateMedian(fromArray(even), 2)).delta)).toEqual([2.5, 15]);
  });

  it('trimmed mean drops ⌊βn⌋ values at each end, per coordinate', async () => {
    const items = [v(1, 5), v(2, 5), v(3, 5), v(4, 5), v(100, -100)].map((delta) => ({ delta, weight: 1 }));
    expect(Array.from((await trimmedMean(fromArray(items), 2, 0.2)).delta)).toEqual([3, 5]);
    expect((await trimmedMean(fromArray(items), 2, 0)).delta[0]).toBeCloseTo(22, 5);
    await expect(trimmedMean(fromArray(items), 2, 0.5)).rejects.toThrow(RangeError);
  });

  it('robust rules give the same answer in small column chunks (bounded memory)', async () => {
    const rng = new Rng(4);
    const items = Array.from({ length: 9 }, () => ({ delta: Float32Array.from({ length: 50 }, () => rng.next() - 0.5), weight: 1 }));
    const whole = await coordinateMedian(fromArray(items), 50);
    const chunked = await coordinateMedian(fromArray(items), 50, { maxValues: 9 * 7 });
    expect(Array.from(chunked.delta)).toEqual(Array.from(whole.delta));
    const t1 = await aggregate(fromArray(items), 50, { rule: 'trimmed-mean', trimFraction: 0.2 });
    const t2 = await aggregate(fromArray(items), 50, { rule: 'trimmed-mean', trimFraction: 0.2, maxValues: 20 });
    expect(Array.from(t2.delta)).toEqual(Array.from(t1.delta));
  });

  it('accepts an async source that is re-iterated for each pass', async () => {
    let passes = 0;
    const source = () => (async function* () { passes++; yield { delta: v(1), weight: 1 }; yield { delta: v(3), weight: 1 }; })();
    expect(Array.from((await coordinateMedian(source, 1)).delta)).toEqual([2]);
    expect(passes).toBe(2); // one counting pass + one column pass
  });

  it('round weighting: a DP round counts every update 1 and FedAvg divides by the expected clients; otherwise capped claims and the plain mean', () => {
    const dp = roundWeighting({ dp: true, rule: 'fedavg', maxClientWeight: 32, expectedClients: 50 });
    expect([dp.weightOf(7), dp.weightOf(1), dp.maxWeight, dp.denominator]).toEqual([1, 1, 1, 50]);
    const dpMedian = roundWeighting({ dp: true, rule: 'median', maxClientWeight: 32, expectedClients: 50 });
    expect([dpMedian.weightOf(7), dpMedian.maxWeight, dpMedian.denominator]).toEqual([1, 1, undefined]); // a robust rule keeps its output
    const plain = roundWeighting({ dp: false, rule: 'fedavg', maxClientWeight: 32, expectedClients: 50 });
    expect([plain.weightOf(7), plain.weightOf(90), plain.maxWeight, plain.denominator]).toEqual([7, 32, 32, undefined]);
    expect(roundWeighting({ dp: false, rule: 'trimmed', maxClientWeight: 32, expectedClients: 50 }).maxWeight).toBe(1);
  });

  it('central noise: the weighted sum over a fixed denominator plus noise of std z·wMax·B/denominator; off at z = 0', () => {
    const mean = new Float32Array(100_000);
    const off = releaseMean(v(0.5, -1), { multiplier: 0, bound: 1, maxWeight: 1, totalWeight: 10, rng: new Rng(1) });
    expect(off.std).toBe(0);
    expect(Array.from(off.delta)).toEqual([0.5, -1]); // no DP (no denominator): the plain weighted mean
    const local = releaseMean(v(0.5, -1), { multiplier: 0, bound: 1, maxWeight: 1, totalWeight: 10, denominator: 20, rng: new Rng(1) });
    expect(Array.from(local.delta)).toEqual([0.25, -0.5]); // a DP round without central noise: sum / denominator
    expect(() => releaseMean(v(1), { multiplier: 1, bound: 1, maxWeight: 1, totalWeight: 1, rng: new Rng(1) })).toThrow(/denominator/);
    const on = releaseMean(mean, { multiplier: 2, bound: 0.5, maxWeight: 4, totalWeight: 90, denominator: 100, rng: new Rng(1) });
    expect(on.std).toBeCloseTo(0.04, 12); // 2 · 4 · 0.5 / 100: the denominator, not the realised weight 90
    const sd = Math.sqrt(on.delta.reduce((s, x) => s + x * x, 0) / on.delta.length);
    expect(Math.abs(sd / 0.04 - 1)).toBeLessThan(0.02);
  });

  it('central noise releases Σ wΔ / denominator: a round with fewer clients than expected takes a smaller step', () => {
    // mean 0.3 over a realised weight of 3 → sum 0.9; expected weight 6 → 0.15 (plus noise of std 1e-9·1·1/6).
    const r = releaseMean(v(0.3, -0.6), { multiplier: 1e-9, bound: 1, maxWeight: 1, totalWeight: 3, denominator: 6, rng: new Rng(2) });
    expect(r.delta[0]).toBeCloseTo(0.15, 6);
    expect(r.delta[1]).toBeCloseTo(-0.3, 6);
    expect(() => releaseMean(v(1), { multiplier: 1, bound: 1, maxWeight: 1, totalWeight: 3, denominator: 0, rng: new Rng(3) })).toThrow(/denominator/);
    expect(() => releaseMean(v(1), { multiplier: 1, bound: 1, maxWeight: 1, totalWeight: 3, denominator: NaN, rng: new Rng(3) })).toThrow(/denominator/);
  });

  it('releaseMean leaves its input alone and draws the same noise as scaling first, then addGaussianNoise', () => {
    const mean = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i) / 7);
    const before = new Float32Array(mean);
    const r = releaseMean(mean, { multiplier: 0.8, bound: 2, maxWeight: 1, totalWeight: 37, denominator: 50, rng: new Rng(9) });
    expect(mean).toEqual(before);
    const scaled = Float32Array.from(mean, (x) => x * (37 / 50));
    expect(r.delta).toEqual(addGaussianNoise(scaled, (0.8 * 2) / 50, new Rng(9)));
    expect(() => releaseMean(mean, { multiplier: -1, bound: 1, maxWeight: 1, totalWeight: 3, denominator: 6, rng: new Rng(3) })).toThrow(/≥ 0/);
  });

  it('central noise is refused with a rule of unbounded sensitivity, allowed with fedavg or when off', () => {
    expect(centralNoiseProblem('median', 1)).toMatch(/fedavg rule.*median/);
    expect(centralNoiseProblem('trimmed-mean', 0.1)).toMatch(/fedavg rule/);
    expect(centralNoiseProblem('fedavg', 1)).toBeUndefined();
    expect(centralNoiseProblem('median', 0)).toBeUndefined();
  });

  it('zeroes the parts of a delta that belong to frozen tensors, and only those', () => {
    const layout = makeLayout({ a: [2], b: [3], c: [1] }, ['a', 'b', 'c']);
    const d = v(1, 2, 3, 4, 5, 6);
    expect(Array.from(zeroFrozen(d, layout, ['b']))).toEqual([1, 2, 0, 0, 0, 6]);
    expect(Array.from(zeroFrozen(v(1, 2, 3, 4, 5, 6), layout, ['c', 'a']))).toEqual([0, 0, 3, 4, 5, 0]);
    expect(Array.from(zeroFrozen(v(1, 2, 3, 4, 5, 6), layout, []))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(zeroFrozen(v(1, 2, 3, 4, 5, 6), layout, ['gone', 'c']))).toEqual([1, 2, 3, 4, 5, 0]);
    expect(() => zeroFrozen(v(1, 2), layout, ['a'])).toThrow(/6/);
  });
});
