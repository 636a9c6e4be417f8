// `--noise ddg` on the synthetic shop: the devices' own encoding (clip, rotation, rounding, discrete Gaussian noise,
// mod 2^bits), the server's modular sum and decoding, the accounting against the aggregator over the minimum honest
// cohort, the release threshold, and the real SecAgg+ protocol on part of a round.
import { describe, expect, it } from 'vitest';
import type { Sequence } from '@perch/model/data';
import { ddgEpsilon, honestCohort, packedLength, rotationLayout, WRAP_PROBABILITY, wrapProbabilityBound } from '@perch/learn/ddg';
import { runFederated, type FederatedOptions } from '../../src/simulate/federated.js';
import { accountingOf, autoMinCohort, autoUploads, planDdg, type DdgSettings } from '../../src/simulate/ddg.js';
import { secaggSum } from '../../src/simulate/secagg.js';
import { graphForCohort, maxCohortFor } from '@perch/learn/secagg';
import { cloneWeights } from '../../src/simulate/weights.js';
import { RECIPE, setup } from './synthetic.js';
import { DEFAULT_SECAGG_RECIPE, SECAGG_TRAINED } from '@perch/learn/client';
import { selectedSize, trainedTensors } from '@perch/learn/update';

const SETTINGS: DdgSettings = { bits: 15, uploads: 'auto', minCohort: 'auto', dropout: 0.3, colluding: 0.05, secaggDevices: 0 };
const BASE: FederatedOptions = {
  rounds: 3, q: 0.5, clip: 1, z: 0, noise: 'ddg', delta: 1e-10, epsilonBudget: 8, epsilonPerRound: 3, rule: 'fedavg',
  optimizer: { kind: 'adam', learningRate: 0.01, tau: 1e-6, biasCorrection: true }, maxClientWeight: 32, evalEvery: 10, seed: 4, ddg: SETTINGS,
};

/** Runs `o` on a fresh synthetic shop, counting each device's uploads and keeping their sizes. */
async function run(o: FederatedOptions) {
  const s = setup();
  const before = cloneWeights(s.global);
  const perDevice = new Map<Sequence, number>();
  const sizes = new Set<number>();
  const r = await runFederated(s.ctx, s.global, s.trainer, o, undefined, (b, seq) => { perDevice.set(seq, (perDevice.get(seq) ?? 0) + 1); sizes.add(b.length); });
  return { s, before, r, perDevice, sizes };
}

describe('ddg plan', () => {
  it('calibrates σ to the uploads and the per-upload cap over the honest cohort, and γ to the wrap bound', () => {
    const p = planDdg({ settings: SETTINGS, dim: 34_434, clip: 1, expectedCohort: 1000, q: 1000 / 21_245, rounds: 200, epsilonBudget: 8, epsilonPerRound: 3, delta: 1e-10 });
    expect(p.paddedDim).toBe(rotationLayout(34_434).padded);
    expect(p.minCohort).toBe(autoMinCohort(1000));
    expect(p.minCohort).toBe(905);
    expect(p.maxCohort).toBe(maxCohortFor(1000));
    expect(p.nHonest).toBe(honestCohort(905, 0.3, 0.05));
    expect(p.uploadsTarget).toBe(autoUploads(1000 / 21_245, 200));
    expect(p.bytesPerClient).toBe(packedLength(p.paddedDim, 15));
    expect(p.bytesPerClient).toBeLessThanOrEqual(65_536);
    const acc = accountingOf(p);
    // the budget allows exactly the targeted uploads (σ is the smallest that does), each within the per-upload cap
    expect(ddgEpsilon(acc, 1e-10, p.uploadsTarget).epsilon).toBeLessThanOrEqual(8);
    expect(ddgEpsilon({ ...acc, sigma: p.sigma * 0.99 }, 1e-10, p.uploadsTarget).epsilon).toBeGreaterThan(8);
    expect(p.uploadsAllowed).toBe(p.uploadsTarget);
    expect(p.epsilonAfter[1]!).toBeLessThanOrEqual(3);
    expect(p.epsilonAfter).toEqual(Array.from({ length: p.uploadsAllowed + 1 }, (_, k) => (k === 0 ? 0 : ddgEpsilon(acc, 1e-10, k).epsilon)));
    // γ and σ are a fixed point: the largest cohort's sum wraps with probability ≈ the stated bound
    expect(p.wrapProbability).toBeCloseTo(WRAP_PROBABILITY, 8);
    expect(wrapProbabilityBound({ n: p.maxCohort, clip: 1, sigma: p.sigma, dim: p.paddedDim }, p.gamma, 15)).toBe(p.wrapProbability);
  });

  it('raises σ when one upload would cost more than the per-upload cap, so the budget then allows more uploads', () => {
    const p = planDdg({ settings: { ...SETTINGS, uploads: 1 }, dim: 5000, clip: 1, expectedCohort: 150, q: 0.01, rounds: 30, epsilonBudget: 8, epsilonPerRound: 3, delta: 1e-10 });
    expect(p.epsilonAfter[1]!).toBeCloseTo(3, 3);
    expect(p.uploadsAllowed).toBeGreaterThan(1);
    expect(() => planDdg({ settings: { ...SETTINGS, minCohort: 1 }, dim: 100, clip: 1, expectedCohort: 10, q: 0.5, rounds: 3, epsilonBudget: 8, delta: 1e-10 })).toThrow(/no honest device/);
  });
});

describe('federated simulation with ddg noise', () => {
  it('runs the devices\' encoding and the modular sum; ε is the accountant\'s for the most uploads; decoded sums are within rounding + noise', async () => {
    const { s, before, r, perDevice, sizes } = await run(BASE);
    const plan = r.ddg!;
    expect(plan.nHonest).toBe(honestCohort(autoMinCohort(0.5 * s.ctx.clients.length), 0.3, 0.05));
    // every upload is one packed vector of the padded dimension at `bits` bits
    expect([...sizes]).toEqual([packedLength(plan.paddedDim, plan.bits)]);
    expect(r.bytesPerClient).toBe(plan.bytesPerClient);
    // ε against the aggregator: the sum over the minimum honest cohort, composed over the most uploads any device made
    const most = Math.max(...perDevice.values());
    expect(r.maxUploads).toBe(most);
    expect(r.epsilonServer).toBe(ddgEpsilon(accountingOf(plan), 1e-10, most).epsilon);
    expect(r.epsilon).toBe(r.epsilonServer);
    expect(r.epsilonServer!).toBeLessThanOrEqual(8);
    // the decoded sum differs from the plain sum of clipped deltas by rounding and noise only: RMS ≈ sqrt(N(γ²/4 + σ²))
    for (const l of r.logs) {
      expect(l.released).toBe(true);
      expect(l.clients).toBeGreaterThanOrEqual(plan.minCohort);
      expect(l.ddgError!.expected).toBeCloseTo(Math.sqrt(l.clients * (plan.gamma ** 2 / 4 + plan.sigma ** 2)), 10);
      expect(l.ddgError!.rms).toBeLessThan(1.1 * l.ddgError!.expected);
      expect(l.ddgError!.rms).toBeGreaterThan(0.8 * l.ddgError!.expected);
      // the aggregator's check of the sum passes for these honest devices, and its bound is not far above their norm
      expect(l.ddgSum!.norm).toBeLessThanOrEqual(l.ddgSum!.bound);
      expect(l.ddgSum!.norm / l.ddgSum!.bound).toBeGreaterThan(0.7);
    }
    expect(s.global.gru_wh).not.toEqual(before.gru_wh); // released rounds move the model
    // a seed reproduces the run
    const again = await run(BASE);
    expect(again.s.global.gru_wh).toEqual(s.global.gru_wh);
    expect(again.r.logs.map((l) => l.ddgError!.rms)).toEqual(r.logs.map((l) => l.ddgError!.rms));
  }, 60_000);

  it('carries only the trained tensors: the upload is the packed length of their size, and the frozen ones never move', async () => {
    const recipe = { ...RECIPE, frozen: DEFAULT_SECAGG_RECIPE.frozen };
    const s = setup(recipe);
    const before = cloneWeights(s.global);
    const sizes = new Set<number>();
    const r = await runFederated(s.ctx, s.global, s.trainer, { ...BASE, frozen: recipe.frozen }, undefined, (b) => { sizes.add(b.length); });
    const trained = trainedTensors(s.layout, recipe.frozen);
    expect(trained).toEqual([...SECAGG_TRAINED]);
    const dim = selectedSize(s.layout, trained);
    expect(dim).toBeLessThan(s.layout.size / 2);
    expect(r.ddg!.paddedDim).toBe(rotationLayout(dim).padded);
    expect([...sizes]).toEqual([packedLength(rotationLayout(dim).padded, 15)]);
    for (const t of s.layout.tensors) {
      if (trained.includes(t.name)) expect(s.global[t.name], t.name).not.toEqual(before[t.name]);
      else expect(s.global[t.name], t.name).toEqual(before[t.name]);
    }
  }, 60_000);

  it('does not release a round whose cohort is below the minimum, but devices still count the upload', async () => {
    const { s, before, r, perDevice } = await run({ ...BASE, rounds: 2, ddg: { ...SETTINGS, minCohort: 200 } });
    expect(r.logs.every((l) => !l.released && l.clients > 0 && l.stepNorm === 0 && l.ddgError === undefined && l.ddgSum === undefined)).toBe(true);
    for (const k of Object.keys(before)) expect(s.global[k]).toEqual(before[k]);
    expect(r.epsilonServer).toBe(ddgEpsilon(accountingOf(r.ddg!), 1e-10, Math.max(...perDevice.values())).epsilon);
    expect(r.epsilonServer!).toBeGreaterThan(0);
  }, 60_000);

  it('stops a device once its next upload would pass its budget; the largest cohort caps a round', async () => {
    const { r, perDevice } = await run({ ...BASE, rounds: 8, q: 0.9, ddg: { ...SETTINGS, uploads: 3 }, epsilonPerRound: undefined });
    const plan = r.ddg!;
    expect(plan.uploadsAllowed).toBe(3);
    expect(Math.max(...perDevice.values())).toBe(3);
    expect(r.logs.at(-1)!.clients).toBe(0);
    expect(r.epsilonServer!).toBeLessThanOrEqual(8);
    expect(Math.max(...r.logs.map((l) => l.clients))).toBeLessThanOrEqual(plan.maxCohort);
  }, 60_000);

  it('cyclic participation: each round asks the next K devices, so every device uploads ⌈KR/N⌉ times at most and the budget is planned for that', async () => {
    const n = setup().ctx.clients.length;
    const q = 0.4, rounds = 5, k = Math.round(q * n);
    const { r, perDevice } = await run({ ...BASE, rounds, q, participation: 'cyclic', epsilonPerRound: undefined });
    expect(r.ddg!.uploadsTarget).toBe(Math.ceil((k * rounds) / n));
    expect(r.ddg!.uploadsTarget).toBeLessThan(autoUploads(q, rounds)); // Poisson needs a margin for the unlucky devices
    expect(r.logs.map((l) => l.clients)).toEqual(Array(rounds).fill(k));
    const counts = [...perDevice.values()];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(k * rounds);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1); // an even spread, every device once per pass
    expect(Math.max(...counts)).toBe(r.maxUploads);
  }, 60_000);

  it('--secagg-devices: the real SecAgg+ protocol on part of the first round sums bit-identically; the run is the same as without it', async () => {
    const plain = await run({ ...BASE, rounds: 1 });
    const masked = await run({ ...BASE, rounds: 1, ddg: { ...SETTINGS, secaggDevices: 6 } });
    const c = masked.r.secagg!;
    expect(c).toMatchObject({ round: 1, devices: 6, bitIdentical: true });
    expect(c.bytesUpPerDevice).toBeGreaterThan(masked.r.ddg!.paddedDim * 2); // the masked vector travels base64 at 2 bytes per value
    expect(c.bytesDownPerDevice).toBeGreaterThan(0);
    expect(c.seconds).toBeGreaterThan(0);
    expect(masked.s.global.gru_wh).toEqual(plain.s.global.gru_wh);
  }, 60_000);
});

describe('secaggSum', () => {
  it('returns the modular sum of the vectors and the protocol\'s cost', async () => {
    const d = 50, bits = 15, vs = Array.from({ length: 5 }, (_, i) => Uint32Array.from({ length: d }, (_, j) => (i * 7919 + j * 104_729) % 2 ** bits));
    const r = await secaggSum(vs, bits, 'test', 'A'.repeat(43));
    const want = Uint32Array.from({ length: d }, (_, j) => vs.reduce((a, v) => a + v[j]!, 0) % 2 ** bits);
    expect([...r.sum]).toEqual([...want]);
    expect(r).toMatchObject({ devices: 5, k: 4 });
    expect(graphForCohort(200).k).toBeLessThan(199); // SecAgg+'s sparse graph at a few hundred devices
    await expect(secaggSum(vs.slice(0, 2), bits, 'test', 'A'.repeat(43))).rejects.toThrow(/at least 3/);
  }, 30_000);
});
