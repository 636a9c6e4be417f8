/**
 * The simulated server's optimisers on a hand-checkable round: one update of a known delta, encoded by the
 * real client pipeline (no noise, so only int8 rounding separates it from the delta). FedAvg (sgdm, η = 1)
 * applies the delta itself; FedAdam's first step is η·0.1Δ / (√(0.01Δ²) + τ) ≈ η·sign(Δ) where |Δ| ≫ τ, and
 * about 0 where Δ = 0.
 */
import { describe, expect, it } from 'vitest';
import { makeUpdate } from '@perch/learn/client';
import { flattenShared, makeLayout } from '@perch/learn/update';
import type { Weights } from '@perch/model/spec';
import { SimServer } from '../../src/simulate/server.js';
import { Rng } from '@perch/model/rng';

const layout = makeLayout({ a: [2, 3], b: [4] }, ['a', 'b']);
const delta = Float32Array.from([0.5, -0.25, 0, 0.125, -0.5, 0.25, 0, 0.5, -0.125, 0.375]);
const zero = (): Weights => ({ a: new Float32Array(6), b: new Float32Array(4) });
const upload = () => makeUpdate(delta, layout, { roundId: 1, baseVersion: 1, clipBound: 10, noiseMultiplier: 0, examples: 1, maxClientWeight: 1, rng: new Rng(3) }).bytes;

describe('SimServer optimisers', () => {
  it('sgdm with η = 1 and no momentum applies the aggregated delta (FedAvg)', async () => {
    const w = zero();
    const s = new SimServer(layout, { rule: 'fedavg', bound: 100, maxClientWeight: 1, centralNoise: 0, dp: false, expectedClients: 0, optimizer: { kind: 'sgd', learningRate: 1 } }, new Rng(1));
    expect((await s.round(1, [upload()], w)).count).toBe(1);
    const got = flattenShared(w, layout);
    for (let i = 0; i < delta.length; i++) expect(got[i]).toBeCloseTo(delta[i]!, 2); // int8 rounding
  });

  it('adam takes per-coordinate steps of about η·sign(Δ) on its first round (FedAdam)', async () => {
    const w = zero();
    const s = new SimServer(layout, { rule: 'fedavg', bound: 100, maxClientWeight: 1, centralNoise: 0, dp: false, expectedClients: 0, optimizer: { kind: 'adam', learningRate: 0.01, tau: 1e-3 } }, new Rng(1));
    await s.round(1, [upload()], w);
    const got = flattenShared(w, layout);
    for (let i = 0; i < delta.length; i++) {
      const d = delta[i]!;
      const expected = d === 0 ? 0 : 0.01 * (0.1 * d) / (Math.sqrt(0.01 * d * d) + 1e-3);
      expect(got[i]).toBeCloseTo(expected, 3);
    }
    // A delta 4x smaller moves almost as far (0.94x; FedAvg: 0.25x): the point of the adaptive step.
    expect(Math.abs(got[3]!) / Math.abs(got[0]!)).toBeGreaterThan(0.9);
  });

  it('bias-corrected adam steps η·Δ/(|Δ| + τ) in every round of a constant delta (Kingma & Ba), uncorrected does not', async () => {
    const step = (bc: boolean) => {
      const w = zero();
      const s = new SimServer(layout, { rule: 'fedavg', bound: 100, maxClientWeight: 1, centralNoise: 0, dp: false, expectedClients: 0, optimizer: { kind: 'adam', learningRate: 0.01, tau: 1e-6, biasCorrection: bc } }, new Rng(1));
      return async () => { const before = flattenShared(w, layout); await s.round(1, [upload()], w); const after = flattenShared(w, layout); return after.map((v, i) => v - before[i]!); };
    };
    const corrected = step(true), plain = step(false);
    for (let r = 1; r <= 3; r++) {
      const got = await corrected(), raw = await plain();
      for (let i = 0; i < delta.length; i++) if (delta[i] !== 0) expect(got[i]).toBeCloseTo(0.01 * Math.sign(delta[i]!), 4);
      // Uncorrected: (1 − 0.9^r)·Δ / √(1 − 0.99^r)·|Δ| ≠ sign(Δ) after the first round (1.35 at r = 2).
      if (r > 1) expect(Math.abs(raw[0]!)).toBeGreaterThan(0.0125);
    }
  });

  it('a DP round counts a device that claims weight 5 as 1, as the aggregator does', async () => {
    const heavy = makeUpdate(delta, layout, { roundId: 1, baseVersion: 1, clipBound: 10, noiseMultiplier: 0, examples: 5, maxClientWeight: 5, rng: new Rng(4) }).bytes;
    const run = async (dp: boolean): Promise<Float32Array> => {
      const w = zero();
      const s = new SimServer(layout, { rule: 'fedavg', bound: 100, maxClientWeight: 32, centralNoise: 0, dp, expectedClients: 4, optimizer: { kind: 'sgd', learningRate: 1 } }, new Rng(1));
      await s.round(1, [heavy, upload()], w);
      return flattenShared(w, layout);
    };
    const withDp = await run(true), without = await run(false);
    for (let i = 0; i < delta.length; i++) {
      expect(withDp[i]).toBeCloseTo(delta[i]! / 2, 2); // (1 + 1)·Δ over 4 expected clients
      expect(without[i]).toBeCloseTo(delta[i]!, 2); // the weighted mean of two equal deltas
    }
  });

  it('with central noise divides the sum by the expected weight (fixed denominator), and refuses a robust rule or no denominator', async () => {
    const w = zero();
    const s = new SimServer(layout, { rule: 'fedavg', bound: 100, maxClientWeight: 1, centralNoise: 1e-9, dp: true, expectedClients: 4, optimizer: { kind: 'sgd', learningRate: 1 } }, new Rng(1));
    expect((await s.round(1, [upload(), upload()], w)).count).toBe(2);
    const got = flattenShared(w, layout);
    for (let i = 0; i < delta.length; i++) expect(got[i]).toBeCloseTo(delta[i]! / 2, 2); // 2 deltas over 4 expected, not their mean
    const o = { bound: 100, maxClientWeight: 1, centralNoise: 1, optimizer: { kind: 'sgd' as const, learningRate: 1 } };
    expect(() => new SimServer(layout, { ...o, rule: 'median', dp: true, expectedClients: 4 }, new Rng(1))).toThrow(/fedavg/);
    expect(() => new SimServer(layout, { ...o, rule: 'fedavg', dp: false, expectedClients: 4 }, new Rng(1))).toThrow(/set dp/);
    expect(() => new SimServer(layout, { ...o, rule: 'fedavg', dp: true, expectedClients: 0 }, new Rng(1))).toThrow(/expectedClients/);
  });
});
