import { afterEach, describe, expect, it } from 'vitest';
import { HEADER_BYTES, makeLayout } from '@perch/learn/update';
import { makeUpdate } from '@perch/learn/client';
import { post, reencode, roundInfo, testApp, updateFor, waitFor } from './helper.js';
import { Rng } from '@perch/model/rng';

let close: (() => Promise<void>) | undefined;
afterEach(async () => { await close?.(); close = undefined; });

function expectProblem(r: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, type?: string) {
  expect(r.statusCode).toBe(status);
  expect(String(r.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = r.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  if (type) expect(body.type).toBe(type);
  return body;
}

describe('update upload', () => {
  it('accepts a valid update with 202, durable and counted', async () => {
    const t = await testApp({ targetClients: 10 }); close = t.close;
    const info = await roundInfo(t.app);
    const { payload, bytes } = updateFor(info);
    const r = await post(t.app, info.roundId, bytes, { 'idempotency-key': `"${payload.key}"` });
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ status: 'accepted', roundId: info.roundId, key: payload.key });
    expect((await roundInfo(t.app)).accepted).toBe(1);
    const stored = await t.app.store.findUpdate(payload.key);
    expect(stored?.receivedAt).toBeGreaterThan(0);
  });

  it('counts a duplicate once and answers it with the same 2xx', async () => {
    const t = await testApp({ targetClients: 10 }); close = t.close;
    const info = await roundInfo(t.app);
    const { bytes } = updateFor(info);
    const a = await post(t.app, info.roundId, bytes);
    const b = await post(t.app, info.roundId, bytes);
    const [c, d] = await Promise.all([post(t.app, info.roundId, bytes), post(t.app, info.roundId, bytes)]);
    for (const r of [b, c, d]) {
      expect(r.statusCode).toBe(a.statusCode);
      expect(r.json()).toEqual(a.json());
      expect(r.headers['idempotent-replayed']).toBe('true');
    }
    expect((await roundInfo(t.app)).accepted).toBe(1);
  });

  it('refuses a reused idempotency key with other bytes (replay with changes) and a header/payload key mismatch', async () => {
    const t = await testApp({ targetClients: 10 }); close = t.close;
    const info = await roundInfo(t.app);
    const first = updateFor(info, { seed: 1 });
    expect((await post(t.app, info.roundId, first.bytes)).statusCode).toBe(202);
    const second = updateFor(info, { seed: 2 });
    expectProblem(await post(t.app, info.roundId, reencode({ ...second.payload, key: first.payload.key })), 422, '/problems/key-reused');
    expectProblem(await post(t.app, info.roundId, second.bytes, { 'idempotency-key': 'f'.repeat(32) }), 422, '/problems/key-mismatch');
    expect((await roundInfo(t.app)).accepted).toBe(1);
  });

  it('refuses NaN and infinite values (422)', async () => {
    const t = await testApp(); close = t.close;
    const info = await roundInfo(t.app);
    const { payload } = updateFor(info);
    const nan = reencode({ ...payload, scales: payload.scales.map((s, i) => (i === 0 ? NaN : s)) });
    expectProblem(await post(t.app, info.roundId, nan), 422, '/problems/invalid-bad-scale');
    const inf = reencode({ ...payload, key: 'a'.repeat(32), scales: payload.scales.map((s, i) => (i === 2 ? 3e38 : s)) });
    expectProblem(await post(t.app, info.roundId, inf), 422, '/problems/non-finite');
    expect((await roundInfo(t.app)).accepted).toBe(0);
  });

  it('refuses an oversized body (413) and a malformed one (400)', async () => {
    const t = await testApp(); close = t.close;
    const info = await roundInfo(t.app);
    const big = new Uint8Array(info.maxBytes + 1);
    expectProblem(await post(t.app, info.roundId, big), 413, '/problems/update-too-large');
    expectProblem(await post(t.app, info.roundId, new TextEncoder().encode('{"delta":[1,2,3]}')), 400, '/problems/malformed-update');
    expect(HEADER_BYTES).toBe(44);
  });

  it('refuses a wrong tensor layout (422) and a wrong media type (415)', async () => {
    const t = await testApp(); close = t.close;
    const info = await roundInfo(t.app);
    const other = makeLayout({ a: [3, 4], b: [5] }, ['a', 'b']);
    const { bytes } = makeUpdate(new Float32Array(other.size).fill(0.01), other, {
      roundId: info.roundId, baseVersion: info.baseVersion, clipBound: 1, noiseMultiplier: 0, examples: 1, maxClientWeight: 1, rng: new Rng(1),
    });
    expectProblem(await post(t.app, info.roundId, bytes), 422, '/problems/wrong-shape');
    const json = await t.app.inject({ method: 'POST', url: `/v1/round/${info.roundId}/updates`, headers: { 'content-type': 'text/plain' }, payload: 'x' });
    expectProblem(json, 415);
  });

  it('refuses an update whose norm is far above the bound (422), and clips one slightly above', async () => {
    const t = await testApp({ clipBound: 1, normTolerance: 1.5, targetClients: 10 }); close = t.close;
    const info = await roundInfo(t.app);
    const { payload } = updateFor(info, { norm: 0.9 });
    const huge = reencode({ ...payload, scales: payload.scales.map((s) => s * 10) });
    expectProblem(await post(t.app, info.roundId, huge), 422, '/problems/norm-too-large');
    const slightly = reencode({ ...payload, key: 'b'.repeat(32), scales: payload.scales.map((s) => s * 1.4) });
    expect((await post(t.app, info.roundId, slightly)).statusCode).toBe(202);
  });

  it('refuses a payload for another round (422) and an unknown round (404)', async () => {
    const t = await testApp(); close = t.close;
    const info = await roundInfo(t.app);
    const { bytes } = updateFor(info);
    expectProblem(await post(t.app, 99, bytes), 422, '/problems/round-mismatch');
    const { bytes: for99 } = updateFor({ ...info, roundId: 99 });
    expectProblem(await post(t.app, 99, for99), 404);
    expectProblem(await post(t.app, -1 as number, bytes), 400);
  });

  it('refuses updates against an old model (409) and to a closed round (410)', async () => {
    const t = await testApp({ minClients: 2, targetClients: 2 }); close = t.close;
    const r1 = await roundInfo(t.app);
    for (const seed of [1, 2]) expect((await post(t.app, r1.roundId, updateFor(r1, { seed }).bytes)).statusCode).toBe(202);
    const r2 = await waitFor(async () => { const i = await roundInfo(t.app); return i.roundId !== r1.roundId && i; });
    expect(r2.baseVersion).toBe(2);
    const late = updateFor(r1, { seed: 3 });
    expectProblem(await post(t.app, r1.roundId, late.bytes), 410, '/problems/round-closed');
    const stale = updateFor({ ...r2, baseVersion: 1 }, { seed: 4 });
    const body = expectProblem(await post(t.app, r2.roundId, stale.bytes), 409, '/problems/stale-model');
    expect(body.currentVersion).toBe(2);
    const future = updateFor({ ...r2, baseVersion: 7 }, { seed: 5 });
    expectProblem(await post(t.app, r2.roundId, future.bytes), 422, '/problems/unknown-model-version');
  });

  it('rate-limits per client IP with 429, problem+json and Retry-After', async () => {
    const t = await testApp({ targetClients: 100 }, { rateLimit: { max: 3, timeWindowMs: 60_000 } }); close = t.close;
    const info = await roundInfo(t.app); // 1
    expect((await post(t.app, info.roundId, updateFor(info, { seed: 1 }).bytes)).statusCode).toBe(202); // 2
    expect((await post(t.app, info.roundId, updateFor(info, { seed: 2 }).bytes)).statusCode).toBe(202); // 3
    const r = await post(t.app, info.roundId, updateFor(info, { seed: 3 }).bytes);
    expectProblem(r, 429, '/problems/rate-limited');
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    const other = await t.app.inject({ method: 'GET', url: '/health', remoteAddress: '10.0.0.2' });
    expect(other.statusCode).toBe(200);
  });

  it('sends CORS headers on refusals too, so a shop page can read the problem+json', async () => {
    const t = await testApp({}, { corsOrigins: ['http://shop.test'], rateLimit: { max: 3, timeWindowMs: 60_000 } }); close = t.close;
    const info = await roundInfo(t.app);
    const headers = { origin: 'http://shop.test' };
    const bad = await post(t.app, info.roundId, new Uint8Array(10), headers);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBe('http://shop.test');
    const big = await post(t.app, info.roundId, new Uint8Array(info.maxBytes + 1), headers);
    expect(big.statusCode).toBe(413);
    expect(big.headers['access-control-allow-origin']).toBe('http://shop.test');
    const limited = await post(t.app, info.roundId, new Uint8Array(10), headers);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['access-control-allow-origin']).toBe('http://shop.test');
    expect(limited.headers['access-control-expose-headers']).toContain('Retry-After');
  });
});
