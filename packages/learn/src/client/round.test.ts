import { describe, expect, it } from 'vitest';
import { isRetryable, retryAfterSeconds, retryDelayMs, roundLayout, type RoundDescription } from './round.js';
import { makeLayout } from '../update/layout.js';
import { DEFAULT_RECIPE } from './recipe.js';
import { SHARED_DENSE_WEIGHTS, weightShapes } from '@perch/model/spec';
import { Rng } from '@perch/model/rng';

const dims = { numItems: 5, numAttrs: 2, numCategories: 3, dim: 4, hidden: 4 };
const layout = makeLayout(weightShapes(dims), SHARED_DENSE_WEIGHTS);
const round = (over: Partial<RoundDescription['layout']> = {}): RoundDescription => ({
  roundId: 1, status: 'open', baseVersion: 1, deadline: new Date(0).toISOString(), accepted: 0, minClients: 1, targetClients: 2,
  clipBound: 1, noiseMultiplier: 1, centralNoiseMultiplier: 0, samplingProbability: 0.1, maxClientWeight: 32, uploadNormBound: 10, maxBytes: 100,
  layout: { hash: layout.hash, size: layout.size, tensors: layout.tensors, ...over }, local: { ...DEFAULT_RECIPE }, uploadUrl: '/v1/round/1/updates',
});

describe('round description', () => {
  it('accepts the layout of the local model and refuses others', () => {
    expect(roundLayout(round(), layout).hash).toBe(layout.hash);
    expect(() => roundLayout(round({ hash: '00000000' }), layout)).toThrow(/inconsistent/);
    const other = makeLayout(weightShapes({ ...dims, hidden: 5 }), SHARED_DENSE_WEIGHTS);
    expect(() => roundLayout(round({ hash: other.hash, size: other.size, tensors: other.tensors }), layout)).toThrow(/differs/);
  });
});

describe('upload retry policy', () => {
  it('retries only network errors, 408, 429 and 5xx', () => {
    expect([undefined, 408, 429, 500, 503].every(isRetryable)).toBe(true);
    expect([400, 409, 410, 413, 422, 202].some(isRetryable)).toBe(false);
  });
  it('honours Retry-After, jitters otherwise, and gives up at the deadline', () => {
    const rng = new Rng(1);
    expect(retryDelayMs(0, { retryAfterSeconds: 7, now: 0, deadline: 60_000, rng })).toBe(7000);
    const ds = Array.from({ length: 200 }, () => retryDelayMs(3, { now: 0, deadline: 1e9, rng, baseMs: 100 })!);
    expect(Math.max(...ds)).toBeLessThan(800);
    expect(new Set(ds).size).toBeGreaterThan(100);
    expect(retryDelayMs(0, { retryAfterSeconds: 120, now: 0, deadline: 60_000, rng })).toBeUndefined();
  });
  it('reads Retry-After as seconds or an HTTP date; absent, blank, negative or garbage is no Retry-After', () => {
    const now = Date.parse('Mon, 07 Dec 2026 10:00:00 GMT');
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds(' 0 ', now)).toBe(0);
    expect(retryAfterSeconds('Mon, 07 Dec 2026 10:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Mon, 07 Dec 2026 09:00:00 GMT', now)).toBe(0); // a date in the past: now
    for (const h of [null, undefined, '', '   ', '-5', 'soon']) expect(retryAfterSeconds(h, now), String(h)).toBeUndefined();
  });
});
