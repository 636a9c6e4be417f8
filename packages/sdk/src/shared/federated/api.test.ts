import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '@perch/learn/privacy';
import { federatedDefaults, noPrivacySpent, readTuning, trainingBlocked, type FederatedHint } from './api.js';

const ok: FederatedHint = {
  mode: 'federated', aggregatorUrl: 'http://127.0.0.1:8787', training: 'granted', gpc: false, dnt: false, page: 'idle', tuning: federatedDefaults,
};

describe('trainingBlocked', () => {
  it('allows training only in federated mode, with an aggregator, consent, no GPC/DNT, idle or hidden page', () => {
    expect(trainingBlocked(ok)).toBeNull();
    expect(trainingBlocked({ ...ok, page: 'hidden' })).toBeNull();
    expect(trainingBlocked(null)).toMatch(/hint/);
    expect(trainingBlocked({ ...ok, mode: 'on-device' })).toMatch(/on-device/);
    expect(trainingBlocked({ ...ok, aggregatorUrl: null })).toMatch(/aggregatorUrl/);
    expect(trainingBlocked({ ...ok, gpc: true })).toMatch(/Global Privacy Control/);
    expect(trainingBlocked({ ...ok, dnt: true })).toMatch(/Do Not Track/);
    expect(trainingBlocked({ ...ok, training: 'pending' })).toMatch(/pending/);
    expect(trainingBlocked({ ...ok, training: 'denied' })).toMatch(/denied/);
    expect(trainingBlocked({ ...ok, page: 'active' })).toMatch(/active/);
  });
});

describe('readTuning', () => {
  it('fills defaults, bounds values and survives hostile objects', () => {
    expect(readTuning(undefined)).toEqual(federatedDefaults);
    const t = readTuning({ epsilonBudget: 2, idleAfterMs: 2.5e9, minIntervalMs: 1, minNoiseMultiplier: 7, minCohort: 1 });
    expect(t).toMatchObject({ idleAfterMs: 3600_000, minIntervalMs: 100 });
    expect(t.policy).toEqual({ ...DEFAULT_POLICY, epsilonBudget: 2, minNoiseMultiplier: 7, minCohort: 1 });
    const u = readTuning({ epsilonBudget: 'lots', maxUploadDelayMs: NaN });
    expect(u).toMatchObject({ maxUploadDelayMs: 30_000 });
    expect(u.policy.epsilonBudget).toBe(8);
    expect(readTuning({ localEpochs: 5, learningRate: 3 })).toEqual(readTuning({})); // the recipe is the aggregator's
    const hostile = new Proxy({}, { get() { throw new Error('no'); } });
    expect(readTuning(hostile)).toEqual(federatedDefaults);
  });
});

describe('noPrivacySpent', () => {
  it('states the default policy\'s budget and δ (plain numbers in the loader, kept equal here)', () => {
    expect(noPrivacySpent()).toEqual({ epsilonServer: 0, epsilonPublished: 0, epsilonBudget: DEFAULT_POLICY.epsilonBudget, delta: DEFAULT_POLICY.delta, uploads: 0 });
  });
});
