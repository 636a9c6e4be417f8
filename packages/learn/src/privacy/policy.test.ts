import { describe, expect, it } from 'vitest';
import { DEFAULT_RECIPE } from '../client/recipe.js';
import { SHARED_DENSE_WEIGHTS } from '@perch/model/spec';
import { serverViewEpsilon } from './accountant.js';
import { DeviceAccountant } from './device-accountant.js';
import { checkRound, DEFAULT_POLICY, publishedCohortProblem, readPolicy, trainedBy, type PrivacyPolicy } from './policy.js';
import { computeRdpSampledGaussian, DEFAULT_ORDERS, rdpToEpsilon } from './rdp.js';
import { exactDelta, exactEpsilon } from './testing/exact-gaussian.js';

/** What an honest aggregator with the default policy announces (only the fields the policy reads). */
const honest = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  noiseMultiplier: 5, centralNoiseMultiplier: 0, clipBound: 1, minClients: 10, samplingProbability: 0.1,
  local: { ...DEFAULT_RECIPE, frozen: [...DEFAULT_RECIPE.frozen] }, ...over,
});

describe('checkRound: the device refuses any round that would weaken its pinned policy', () => {
  it('accepts an honest round and reports the noise it will add and what one upload costs', () => {
    const r = checkRound(honest(), DEFAULT_POLICY);
    expect(r).toMatchObject({ ok: true, z: 5, centralZ: 0, q: 0.1, recipe: DEFAULT_RECIPE });
    expect(r.ok && r.epsilonUpload).toBeCloseTo(serverViewEpsilon(1, 5, 1e-10).epsilon, 12);
    // More noise, more cohort and extra central noise only make it stronger.
    expect(checkRound(honest({ noiseMultiplier: 8, minClients: 1000, centralNoiseMultiplier: 3 }), DEFAULT_POLICY).ok).toBe(true);
    // An aggregator that announces no recipe gets the default one.
    expect(checkRound(honest({ local: undefined }), DEFAULT_POLICY)).toMatchObject({ ok: true, recipe: DEFAULT_RECIPE });
  });

  const refused: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['z = 0 with a large central multiplier (central noise counted on trust)', { noiseMultiplier: 0, centralNoiseMultiplier: 50 }, 'central_noise_on_trust', /cannot check/],
    ['device noise below the floor', { noiseMultiplier: 1 }, 'noise_below_floor', /below the policy's minimum 5/],
    ['another clip bound', { clipBound: 4 }, 'clip_bound', /differs/],
    ['a cohort of one', { minClients: 1 }, 'cohort', /1 update, below/],
    ['all tensors frozen but one', { local: { ...DEFAULT_RECIPE, frozen: SHARED_DENSE_WEIGHTS.filter((n) => n !== 'intent_b') } }, 'trainable', /trains intent_b/],
    ['tensors the policy never allowed', { local: { ...DEFAULT_RECIPE, frozen: [] } }, 'trainable', /event_emb/],
    ['an unknown recipe field', { local: { ...DEFAULT_RECIPE, mirrorInputs: true } }, 'unknown_recipe', /mirrorInputs/],
    ['a recipe value out of bounds (clamped by older clients, refused now)', { local: { ...DEFAULT_RECIPE, epochs: 500 } }, 'unknown_recipe', /epochs/],
    ['a noise multiplier that is not a number', { noiseMultiplier: '5' }, 'malformed_round', /noise/],
    ['a negative central multiplier', { centralNoiseMultiplier: -1 }, 'malformed_round', /noise/],
    ['a sampling probability of 0', { samplingProbability: 0 }, 'malformed_round', /sampling/],
  ];
  for (const [what, over, code, reason] of refused) {
    it(`refuses ${what}`, () => {
      const r = checkRound(honest(over), DEFAULT_POLICY);
      expect(r.ok).toBe(false);
      if (!r.ok) { expect(r.code).toBe(code); expect(r.reason).toMatch(reason); }
    });
  }

  it('refuses a round whose one upload would cost more than the per-round cap', () => {
    const policy: PrivacyPolicy = { ...DEFAULT_POLICY, minNoiseMultiplier: 2 };
    const r = checkRound(honest({ noiseMultiplier: 2 }), policy);
    expect(r).toMatchObject({ ok: false, code: 'epsilon_per_round' });
    expect(checkRound(honest({ noiseMultiplier: 2 }), { ...policy, epsilonPerRound: 10 }).ok).toBe(true);
  });

  it('never reads a budget, δ or sampling credit from the round', () => {
    const r = checkRound(honest({ epsilonBudget: 1000, delta: 0.5, samplingProbability: 1e-9 }), DEFAULT_POLICY);
    expect(r.ok && r.epsilonUpload).toBeCloseTo(serverViewEpsilon(1, 5, DEFAULT_POLICY.delta).epsilon, 12);
  });
});

describe('publishedCohortProblem: the cohort a version was really published from', () => {
  it('refuses a base version a round published from fewer updates than the minimum; the seed passes', () => {
    expect(publishedCohortProblem({ federated: { parent: 1, round: 4, clients: 1 } }, '5', DEFAULT_POLICY)).toMatch(/version 5 was published from 1 update, below/);
    expect(publishedCohortProblem({ federated: { parent: 1, round: 4 } }, '5', DEFAULT_POLICY)).toMatch(/unstated/);
    expect(publishedCohortProblem({ federated: { parent: 1, round: 4, clients: 10 } }, '5', DEFAULT_POLICY)).toBeNull();
    expect(publishedCohortProblem({ federated: { parent: null, round: null, clients: 0 } }, '1', DEFAULT_POLICY)).toBeNull();
    expect(publishedCohortProblem({ epochs: 3 }, 'abc', DEFAULT_POLICY)).toBeNull(); // a trainer export
  });
});

describe('readPolicy', () => {
  it('gives the defaults for nothing or garbage, and bounds what the shop sets', () => {
    expect(readPolicy(undefined)).toEqual(DEFAULT_POLICY);
    expect(readPolicy({ minNoiseMultiplier: 'x', trainable: ['item_emb'] })).toEqual(DEFAULT_POLICY);
    const p = readPolicy({ delta: 0.5, epsilonBudget: 4, minCohort: 2.6, trainable: ['gru_wh', 'gru_wh', 'out_b'] });
    expect(p).toMatchObject({ delta: 1e-6, epsilonBudget: 4, minCohort: 3, trainable: ['gru_wh', 'out_b'] });
    expect(trainedBy(DEFAULT_RECIPE)).toEqual(DEFAULT_POLICY.trainable);
  });
});

describe('DeviceAccountant: ε against the aggregator', () => {
  const limits = { epsilonBudget: 8, delta: 1e-10 };

  it('one upload is the Gaussian mechanism with sensitivity 2C and noise zC: RDP 2α/z², no sampling credit', () => {
    const a = new DeviceAccountant(limits);
    a.recordUpload(5, 0);
    expect(a.toJSON().server).toEqual(DEFAULT_ORDERS.map((o) => (2 * o) / 25));
    expect(a.epsilonServer()).toBe(serverViewEpsilon(1, 5, 1e-10).epsilon);
  });

  it('is an upper bound on the exact ε of the composed Gaussian (Balle & Wang 2018), within 30 %', () => {
    for (const [z, k] of [[5, 1], [5, 8], [2, 3], [10, 40]] as const) {
      const a = new DeviceAccountant({ epsilonBudget: 1e9, delta: 1e-10 });
      for (let i = 0; i < k; i++) a.recordUpload(z, 0);
      const eps = a.epsilonServer(), mu = (2 * Math.sqrt(k)) / z;
      expect(exactDelta(mu, eps)).toBeLessThanOrEqual(1e-10 * 1.001);
      const exact = exactEpsilon(mu, 1e-10, eps);
      expect(exact).toBeLessThanOrEqual(eps);
      expect(eps / exact).toBeLessThan(1.3);
    }
  });

  it('composes uploads at different z by adding RDP, and stops before the budget is passed', () => {
    const a = new DeviceAccountant(limits);
    a.recordUpload(5, 0);
    a.recordUpload(8, 0);
    const [r5, r8] = [computeRdpSampledGaussian(1, 2.5), computeRdpSampledGaussian(1, 4)];
    const rdp = r5.map((r, i) => r + r8[i]!);
    expect(a.epsilonServer()).toBeCloseTo(rdpToEpsilon(DEFAULT_ORDERS, rdp, 1e-10).epsilon, 12);
    const b = new DeviceAccountant(limits);
    let n = 0;
    while (b.canUpload(5)) { b.recordUpload(5, 0); n++; }
    expect(n).toBe(8); // 8 uploads at z = 5 fit ε 8 at δ 1e-10; a ninth would pass it
    expect(b.epsilonServer()).toBeLessThanOrEqual(8);
    expect(b.projectedServer(5)).toBeGreaterThan(8);
  });

  it('counts announced central noise only in the published-model figure', () => {
    const a = new DeviceAccountant(limits);
    a.recordUpload(5, 0);
    expect(a.epsilonPublished()).toBe(a.epsilonServer());
    const b = new DeviceAccountant(limits);
    b.recordUpload(5, 12);
    expect(b.epsilonServer()).toBe(a.epsilonServer());
    expect(b.epsilonPublished()).toBeCloseTo(serverViewEpsilon(1, 13, 1e-10).epsilon, 12);
    expect(b.epsilonPublished()).toBeLessThan(b.epsilonServer());
  });

  it('the budget and δ only tighten: a later configuration cannot give back ε', () => {
    const a = new DeviceAccountant(limits);
    for (let i = 0; i < 8; i++) a.recordUpload(5, 0);
    const raised = new DeviceAccountant({ epsilonBudget: 100, delta: 1e-6 }, a.toJSON());
    expect(raised.budget).toBe(8);
    expect(raised.delta).toBe(1e-10);
    expect(raised.canUpload(5)).toBe(false);
    const lowered = new DeviceAccountant({ epsilonBudget: 4, delta: 1e-12 }, raised.toJSON());
    expect([lowered.budget, lowered.delta]).toEqual([4, 1e-12]);
    expect(lowered.epsilonServer()).toBeGreaterThan(a.epsilonServer()); // the same uploads stated at a smaller δ
  });

  it('survives a structured clone and a JSON round trip; unreadable entries count as spent', () => {
    const a = new DeviceAccountant(limits);
    a.recordUpload(6, 0);
    const b = new DeviceAccountant(limits, structuredClone(a.toJSON()));
    expect(b.epsilonServer()).toBe(a.epsilonServer());
    expect(b.uploads).toBe(1);
    const broken = { ...a.toJSON(), server: a.toJSON().server.map((v, i) => (i === 3 ? null : v)) };
    expect(new DeviceAccountant(limits, broken).epsilonServer()).toBe(Infinity);
  });

  it('an older, sampling-based state that recorded rounds counts as exhausted; one that recorded none starts fresh', () => {
    const old = { version: 1, orders: [...DEFAULT_ORDERS], rdp: DEFAULT_ORDERS.map(() => 0.01), rounds: 3 };
    expect(new DeviceAccountant(limits, old).canUpload(100)).toBe(false);
    expect(new DeviceAccountant(limits, { ...old, rounds: 0 }).epsilonServer()).toBe(0);
  });
});
