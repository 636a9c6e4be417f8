import { describe, expect, it } from 'vitest';
import { federatedDefaults, readTuning, trainingBlocked, type FederatedHint } from './api.js';

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
    expect(readTuning({ epsilonBudget: 2, idleAfterMs: 2.5e9, minIntervalMs: 1 })).toMatchObject({ epsilonBudget: 2, idleAfterMs: 3600_000, minIntervalMs: 100 });
    expect(readTuning({ epsilonBudget: 'lots', maxUploadDelayMs: NaN })).toMatchObject({ epsilonBudget: 8, maxUploadDelayMs: 30_000 });
    expect(readTuning({ localEpochs: 5, learningRate: 3 })).toEqual(readTuning({})); // the recipe is the aggregator's
    const hostile = new Proxy({}, { get() { throw new Error('no'); } });
    expect(readTuning(hostile)).toEqual(federatedDefaults);
  });
});
