/**
 * The client upload path against the real aggregator listening on 127.0.0.1: `makeUpdate` + `uploadUpdate`
 * from @perch/learn/client, over real HTTP with Node's fetch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeUpdate, uploadUpdate, roundLayout, type RoundDescription } from '@perch/learn/client';
import { buildApp } from '../src/app.js';
import { sharedLayout } from '../src/publish/publish.js';
import { TINY_DIMS } from '../src/publish/seed.js';
import { tempDir, testConfig } from './helper.js';
import { Rng } from '@perch/model/rng';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => { await cleanup?.(); cleanup = undefined; });

async function listen(rate = { max: 10_000, timeWindowMs: 60_000 }) {
  const tmp = tempDir();
  const app = await buildApp({ config: testConfig(tmp.dir, { targetClients: 100 }, { rateLimit: rate }) });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanup = async () => { await app.close(); tmp.cleanup(); };
  const round = (await (await fetch(`${base}/v1/round`)).json()) as RoundDescription;
  return { app, base, round };
}

const nodeFetch: Parameters<typeof uploadUpdate>[0]['fetch'] = (url, init) => fetch(url, { ...init, body: init.body as unknown as BodyInit });

function build(round: RoundDescription, seed: number) {
  const layout = roundLayout(round, sharedLayout(TINY_DIMS));
  const rng = new Rng(seed);
  const delta = Float32Array.from({ length: layout.size }, () => (rng.next() - 0.5) * 0.01);
  return makeUpdate(delta, layout, { roundId: round.roundId, baseVersion: round.baseVersion, clipBound: round.clipBound, noiseMultiplier: round.noiseMultiplier, examples: 4, maxClientWeight: round.maxClientWeight, rng });
}

describe('client upload over HTTP', () => {
  it('uploads, logs the exact bytes, and a repeat is acknowledged as a replay', async () => {
    const { base, round } = await listen();
    const u = build(round, 1);
    const sent: Uint8Array[] = [];
    const opts = { url: `${base}${round.uploadUrl}`, bytes: u.bytes, key: u.payload.key, deadline: Date.parse(round.deadline), rng: new Rng(2), fetch: nodeFetch, onSend: (b: Uint8Array) => sent.push(b) };
    const first = await uploadUpdate(opts);
    expect(first).toMatchObject({ outcome: 'accepted', status: 202, replayed: false, attempts: 1 });
    expect(sent[0]).toBe(u.bytes);
    expect(await uploadUpdate(opts)).toMatchObject({ outcome: 'accepted', replayed: true });
    expect(((await (await fetch(`${base}/v1/round`)).json()) as RoundDescription).accepted).toBe(1);
  });

  it('does not retry a refusal (409 stale) and returns the problem', async () => {
    const { base, round } = await listen();
    const u = build({ ...round, baseVersion: 0 }, 3);
    const r = await uploadUpdate({ url: `${base}${round.uploadUrl}`, bytes: u.bytes, key: u.payload.key, deadline: Date.parse(round.deadline), rng: new Rng(2), fetch: nodeFetch });
    expect(r).toMatchObject({ outcome: 'refused', status: 409, attempts: 1, problem: { type: '/problems/stale-model' } });
  });

  it('honours Retry-After on 429 and gives up when the wait would pass the deadline', async () => {
    const { base, round } = await listen({ max: 1, timeWindowMs: 60_000 }); // GET /v1/round used the only request
    const u = build(round, 4);
    const waits: number[] = [];
    const r = await uploadUpdate({
      url: `${base}${round.uploadUrl}`, bytes: u.bytes, key: u.payload.key, rng: new Rng(2), fetch: nodeFetch,
      deadline: Date.now() + 120_000, sleep: async (ms) => { waits.push(ms); }, maxAttempts: 2,
    });
    expect(r.outcome).toBe('expired');
    expect(waits[0]).toBeGreaterThan(50_000); // Retry-After of the 60 s window, in ms
    const soon = await uploadUpdate({ url: `${base}${round.uploadUrl}`, bytes: u.bytes, key: u.payload.key, rng: new Rng(2), fetch: nodeFetch, deadline: Date.now() + 5_000 });
    expect(soon).toMatchObject({ outcome: 'expired', lastStatus: 429, attempts: 1 });
  });

  it('retries network errors with backoff until the deadline', async () => {
    const u = build({ roundId: 1, baseVersion: 1, clipBound: 1, noiseMultiplier: 0, maxClientWeight: 4, layout: { hash: sharedLayout(TINY_DIMS).hash, size: sharedLayout(TINY_DIMS).size, tensors: sharedLayout(TINY_DIMS).tensors } } as RoundDescription, 5);
    let t = 0;
    const r = await uploadUpdate({
      url: 'http://127.0.0.1:9/v1/round/1/updates', bytes: u.bytes, key: u.payload.key, rng: new Rng(1), fetch: nodeFetch,
      deadline: 10_000, now: () => t, sleep: async (ms) => { t += ms; }, maxAttempts: 50,
    });
    expect(r.outcome).toBe('expired');
    if (r.outcome === 'expired') { expect(r.lastStatus).toBeUndefined(); expect(r.attempts).toBeGreaterThan(2); }
  });
});
