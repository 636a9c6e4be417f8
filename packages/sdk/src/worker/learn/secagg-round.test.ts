// The worker's secure-aggregation round (`runSecAggRound`) against the library's real `SecAggServer`, with two
// peer devices driven directly, behind a transport that answers as the aggregator's routes do (the wire form both
// ways, 202 and re-send, 200 with the next request, the credential in a header, problem answers). What is checked
// here and not in the browser test: a 202 and a network error are re-sent with the same bytes, the credential goes
// on every step after advertise, the ε is recorded before the masked vector is posted, a refusal (the aggregator's
// or the device's, up to masked input; an answer that does not read as the step's request) ends the round without
// recording, and the deadline stops it; the survivor set
// the device unmasks for is handed to the caller (hashed as the aggregator hashes it) before its shares are posted.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RoundDescription } from '@perch/learn/client';
import { rotationLayout } from '@perch/learn/ddg';
import { deviceDdgNoise, readSecAggPolicy, readSecAggRound, secaggDevicePolicy, type SecAggRoundAccepted } from '@perch/learn/privacy';
import { DEFAULT_RECIPE } from '@perch/learn/client';
import {
  encodeRequest, readReply, SecAggDevice, SecAggServer, SECAGG_CONTENT_TYPE, SECAGG_TOKEN_HEADER, toB64,
  type MaskedInputRequest, type ShareKeysRequest, type Step, type UnmaskRequest, type WireContext,
} from '@perch/learn/secagg';
import { retryWaitMs, runSecAggRound, type SecAggPost } from './secagg-round.js';

const DIM = 100, BITS = 16, ROUND = 7;
const D = rotationLayout(DIM).padded;
const SEED = toB64(new Uint8Array(32).fill(3));
const POLICY = readSecAggPolicy({ minCohort: 3, minDegree: 2, minThreshold: 2, bits: BITS, epsilonPerRound: 10, dropoutFraction: 0, colludingFraction: 0 })!;
const base = '/v1/round/7/secagg';
const secagg = {
  protocol: 'secagg+' as const, bits: BITS, d: D, k: 2, t: 2, minCohort: 3, maxCohort: 3, graphSeed: SEED, longPollMs: 0,
  deadlines: { advertise: '', shareKeys: '', maskedInput: '', unmask: '' },
  ddg: { tensors: ['attr_tr'], dim: DIM, clip: 1, gamma: 0.01, sigma: 0, beta: Math.exp(-0.5), rotationSeed: 9 },
  urls: { advertise: `${base}/advertise`, shareKeys: `${base}/share-keys`, maskedInput: `${base}/masked-input`, unmask: `${base}/unmask` },
};

function setup(deadlineMs = 60_000): { round: RoundDescription; accepted: SecAggRoundAccepted } {
  const round = { roundId: ROUND, deadline: new Date(Date.now() + deadlineMs).toISOString(), secagg } as unknown as RoundDescription;
  const view = readSecAggRound(secagg, { tensors: ['attr_tr'], dim: DIM });
  if (typeof view === 'string') throw new Error(view);
  return { round, accepted: { ok: true, mode: 'secagg', q: 1, recipe: DEFAULT_RECIPE, epsilonUpload: 1, secagg: view, noise: deviceDdgNoise(view, POLICY, 1, 1e-10) } };
}

const TOKEN = `dut.${'m'.repeat(43)}`;
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const wire = (bytes: Uint8Array, headers: Record<string, string> = {}, type = SECAGG_CONTENT_TYPE): Response =>
  new Response(bytes as BodyInit, { status: 200, headers: { 'content-type': type, ...headers } });

interface Call { path: string; body: Uint8Array; type: string; token: string | undefined; recorded: number }

/** The aggregator's four routes over a real `SecAggServer`, with two peers that answer at once. */
function aggregator(opts: {
  refuse?: string; firstAdvertisePending?: boolean; firstMaskedFails?: boolean;
  tamperShare?: (r: ShareKeysRequest) => void; tamperMask?: (r: MaskedInputRequest) => void;
  /** The share-keys request's bytes and media type as sent. */ shareAnswer?: (b: Uint8Array) => Response;
} = {}) {
  const server = SecAggServer.open({ roundId: String(ROUND), bits: BITS, d: D, minCohort: 3, k: 2, t: 2, seed: SEED });
  const peers = ['p1', 'p2'].map((id) => ({ id, dev: SecAggDevice.create(id, secaggDevicePolicy(POLICY)), x: Uint32Array.from({ length: D }, (_, i) => (i * 31 + id.length) % 2 ** BITS) }));
  const calls: Call[] = [];
  let recorded = 0, advertised = 0, masked = 0;
  let shareReqs: Record<string, ShareKeysRequest> = {}, maskReqs: Record<string, MaskedInputRequest> = {}, unmaskReqs: Record<string, UnmaskRequest> = {};
  let sum: Uint32Array | undefined;
  const ok = async <T = unknown>(r: Promise<{ ok: boolean }> | { ok: boolean }): Promise<T> => { const v = await r; if (!v.ok) throw new Error(JSON.stringify(v)); return v as T; };
  const ctx: WireContext = { d: D, bits: BITS };
  /** The device's message of `step`, read from the wire form as the aggregator does. */
  const read = async (body: Uint8Array, step: Step): Promise<Record<string, unknown>> => (await ok<{ message: Record<string, unknown> }>(readReply(body, ctx, step))).message;
  const post: SecAggPost = async (url, body, type, token) => {
    const path = new URL(url).pathname;
    calls.push({ path, body: body.slice(), type, token, recorded });
    if (path === `${base}/advertise`) {
      if (opts.firstAdvertisePending && advertised++ === 0) return json(202, { status: 'pending' }, { 'retry-after': '0', [SECAGG_TOKEN_HEADER]: TOKEN });
      const m = await read(body, 'advertise-keys');
      expect(m.sender).toBe('');
      await ok(server.receive({ ...m, sender: 'dut' }));
      for (const p of peers) await ok(server.receive((await ok<{ message: unknown }>(p.dev.advertiseKeys(server.advertiseRequest()))).message));
      shareReqs = (await ok<{ message: Record<string, ShareKeysRequest> }>(server.closeAdvertise())).message;
      ctx.participants = shareReqs.dut!.participants;
      opts.tamperShare?.(shareReqs.dut!);
      const bytes = encodeRequest(shareReqs.dut!, ctx);
      return opts.shareAnswer ? opts.shareAnswer(bytes) : wire(bytes, { [SECAGG_TOKEN_HEADER]: TOKEN });
    }
    if (token !== TOKEN) return json(401, { reason: 'unauthorized' });
    if (path === `${base}/share-keys`) {
      if (opts.refuse) return json(409, { type: `/problems/secagg/${opts.refuse}`, reason: opts.refuse });
      await ok(server.receive(await read(body, 'share-keys')));
      for (const p of peers) await ok(server.receive((await ok<{ message: unknown }>(p.dev.shareKeys(shareReqs[p.id]!))).message));
      maskReqs = (await ok<{ message: Record<string, MaskedInputRequest> }>(server.closeShareKeys())).message;
      opts.tamperMask?.(maskReqs.dut!);
      return wire(encodeRequest(maskReqs.dut!, ctx));
    }
    if (path === `${base}/masked-input`) {
      if (opts.firstMaskedFails && masked++ === 0) throw new TypeError('Failed to fetch');
      await ok(server.receive(await read(body, 'masked-input')));
      for (const p of peers) await ok(server.receive((await ok<{ message: unknown }>(p.dev.maskedInput(maskReqs[p.id]!, p.x))).message));
      unmaskReqs = (await ok<{ message: Record<string, UnmaskRequest> }>(server.closeMaskedInput())).message;
      return wire(encodeRequest(unmaskReqs.dut!, ctx));
    }
    await ok(server.receive(await read(body, 'unmasking')));
    for (const p of peers) await ok(server.receive((await ok<{ message: unknown }>(p.dev.unmask(unmaskReqs[p.id]!))).message));
    sum = (await ok<{ message: { sum: Uint32Array } }>(server.finish())).message.sum;
    return json(200, { status: 'done', roundId: ROUND });
  };
  return { post, calls, peers, record: async () => { recorded++; }, recordedCount: () => recorded, sum: () => sum };
}

const delta = Float32Array.from({ length: DIM }, (_, i) => Math.sin(i) * 0.05);

describe('runSecAggRound', () => {
  it('runs the four steps; the server unmasks exactly the encoded vector plus the peers\'; re-sends carry the same bytes', async () => {
    const agg = aggregator({ firstAdvertisePending: true, firstMaskedFails: true });
    const { round, accepted } = setup();
    let kept: Uint32Array | undefined;
    const unmasking: { survivors: number; sha256: string; posted: number }[] = [];
    const out = await runSecAggRound({
      base: 'http://agg.test', round, accepted, policy: POLICY, delta, post: agg.post, record: agg.record, blocked: () => null, state: () => {}, keep: (_, v) => { kept = v.slice(); },
      unmasking: async (u) => { unmasking.push({ ...u, posted: agg.calls.length }); },
    });
    expect(out).toEqual({ outcome: 'done' });
    // The survivor set it unmasks for, as the aggregator hashes it, handed over once before the shares are posted.
    expect(unmasking).toEqual([{ survivors: 3, sha256: createHash('sha256').update(JSON.stringify(['dut', 'p1', 'p2'])).digest('hex'), posted: 5 }]);
    expect(agg.calls.map((c) => c.path.split('/').pop())).toEqual(['advertise', 'advertise', 'share-keys', 'masked-input', 'masked-input', 'unmask']);
    // A 202 and a network error are each re-sent with the same bytes; the credential from the 202 is used at once.
    expect(agg.calls[1]!.body).toEqual(agg.calls[0]!.body);
    expect(agg.calls[4]!.body).toEqual(agg.calls[3]!.body);
    expect(agg.calls.map((c) => c.token)).toEqual([undefined, TOKEN, TOKEN, TOKEN, TOKEN, TOKEN]);
    // Every body in the wire form; the masked input is the packed vector after a 4-byte header and the sender index.
    expect(new Set(agg.calls.map((c) => c.type))).toEqual(new Set([SECAGG_CONTENT_TYPE]));
    expect(agg.calls[3]!.body.length).toBe(3 + String(ROUND).length + 2 + Math.ceil((D * BITS) / 8));
    // ε on record before the first masked-input POST, once.
    expect(agg.calls[2]!.recorded).toBe(0);
    expect(agg.calls[3]!.recorded).toBe(1);
    expect(agg.recordedCount()).toBe(1);
    const want = kept!.map((v, i) => (v + agg.peers[0]!.x[i]! + agg.peers[1]!.x[i]!) % 2 ** BITS);
    expect(agg.sum()).toEqual(want);
    expect(kept!.length).toBe(D);
  });

  it('an aggregator refusal ends the round at that step, with nothing recorded', async () => {
    const agg = aggregator({ refuse: 'duplicate-sender' });
    const { round, accepted } = setup();
    const out = await runSecAggRound({ base: 'http://agg.test', round, accepted, policy: POLICY, delta, post: agg.post, record: agg.record, blocked: () => null, state: () => {} });
    expect(out).toEqual({ outcome: 'failed', step: 'share-keys', status: 409, detail: 'duplicate-sender' });
    expect(agg.recordedCount()).toBe(0);
  });

  it('a share-keys request the device\'s state machine refuses (a neighbour missing from the seed\'s graph) is a refusal, with nothing recorded', async () => {
    const agg = aggregator({ tamperShare: (r) => { r.neighbours = r.neighbours.slice(1); } });
    const { round, accepted } = setup();
    const out = await runSecAggRound({ base: 'http://agg.test', round, accepted, policy: POLICY, delta, post: agg.post, record: agg.record, blocked: () => null, state: () => {} });
    expect(out).toMatchObject({ outcome: 'refused', step: 'share-keys' });
    expect(agg.calls.map((c) => c.path.split('/').pop())).toEqual(['advertise']);
    expect(agg.recordedCount()).toBe(0);
  });

  it('an answer that does not read as the share-keys request (truncated, or not the wire form) is a refusal, with nothing more sent', async () => {
    for (const [answer, reason, detail] of [
      [(b: Uint8Array) => wire(b.subarray(0, b.length - 1), { [SECAGG_TOKEN_HEADER]: TOKEN }), 'wrong-length', /^truncated/],
      [(b: Uint8Array) => wire(b, { [SECAGG_TOKEN_HEADER]: TOKEN }, 'application/json'), 'malformed', /the answer is application\/json, not application\/vnd\.perch\.secagg\.v1/],
      [(b: Uint8Array) => wire(b.map((v, i) => (i === 0 ? 9 : v)), { [SECAGG_TOKEN_HEADER]: TOKEN }), 'bad-version', /wire version 9/],
    ] as const) {
      const agg = aggregator({ shareAnswer: answer });
      const { round, accepted } = setup();
      const out = await runSecAggRound({ base: 'http://agg.test', round, accepted, policy: POLICY, delta, post: agg.post, record: agg.record, blocked: () => null, state: () => {} });
      expect(out).toMatchObject({ outcome: 'refused', step: 'share-keys', reason });
      expect((out as { detail: string }).detail).toMatch(detail);
      expect(agg.calls.map((c) => c.path.split('/').pop())).toEqual(['advertise']);
      expect(agg.recordedCount()).toBe(0);
    }
  });

  it('an advertise answer without a credential ends the round there', async () => {
    const agg = aggregator({ shareAnswer: (b) => wire(b) });
    const { round, accepted } = setup();
    const out = await runSecAggRound({ base: 'http://agg.test', round, accepted, policy: POLICY, delta, post: agg.post, record: agg.record, blocked: () => null, state: () => {} });
    expect(out).toEqual({ outcome: 'failed', step: 'advertise-keys', status: 200, detail: 'no credential in the answer' });
    expect(agg.calls).toHaveLength(1);
  });

  it('a masked-input request the state machine refuses (a cohort below the policy\'s minimum) is a refusal, with no ε recorded and no masked vector sent', async () => {
    const agg = aggregator({ tamperMask: (r) => { r.cohort = r.cohort.filter((id) => id !== 'p2'); } });
    const { round, accepted } = setup();
    let unmasking = 0;
    const out = await runSecAggRound({ base: 'http://agg.test', round, accepted, policy: POLICY, delta, post: agg.post, record: agg.record, blocked: () => null, state: () => {}, unmasking: async () => { unmasking++; } });
    expect(out).toMatchObject({ outcome: 'refused', step: 'masked-input', reason: 'cohort-too-small' });
    expect(unmasking).toBe(0);
    expect(agg.calls.map((c) => c.path.split('/').pop())).toEqual(['advertise', 'share-keys']);
    expect(agg.recordedCount()).toBe(0);
  });

  it('stops when the page withdraws consent after share keys: no ε recorded, no masked vector sent', async () => {
    const agg = aggregator();
    const { round, accepted } = setup();
    const out = await runSecAggRound({ base: 'http://agg.test', round, accepted, policy: POLICY, delta, post: agg.post, record: agg.record, blocked: () => (agg.calls.length >= 2 ? 'training consent denied' : null), state: () => {} });
    expect(out).toEqual({ outcome: 'stopped', step: 'masked-input', reason: 'training consent denied' });
    expect(agg.calls.map((c) => c.path.split('/').pop())).toEqual(['advertise', 'share-keys']);
    expect(agg.recordedCount()).toBe(0);
  });

  it('sends nothing past the round\'s deadline', async () => {
    const agg = aggregator();
    const { round, accepted } = setup(-1);
    const out = await runSecAggRound({ base: 'http://agg.test', round, accepted, policy: POLICY, delta, post: agg.post, record: agg.record, blocked: () => null, state: () => {} });
    expect(out).toMatchObject({ outcome: 'failed', step: 'advertise-keys', status: null });
    expect(agg.calls).toEqual([]);
  });
});

describe('the wait before a re-send', () => {
  const answer = (headers: Record<string, string> = {}): Response => new Response(null, { status: 503, headers });

  it('spreads devices that failed together over [b/2, b), b doubling from 0.5 s to at most 8 s', () => {
    for (const [attempt, b] of [[0, 500], [1, 1_000], [3, 4_000], [4, 8_000], [9, 8_000]] as const) {
      expect(retryWaitMs(null, attempt, 0)).toBe(b / 2);
      expect(retryWaitMs(answer(), attempt, 0.999_999)).toBe(b - 1);
    }
    const waits = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map((r) => retryWaitMs(null, 2, r)));
    expect(waits.size).toBe(5);
  });

  it('follows the aggregator\'s Retry-After, bounded to [0.2 s, 10 s], and ignores an unreadable one', () => {
    expect(retryWaitMs(answer({ 'retry-after': '3' }), 0, 0.5)).toBe(3_000);
    expect(retryWaitMs(answer({ 'retry-after': '0' }), 5, 0.5)).toBe(200);
    expect(retryWaitMs(answer({ 'retry-after': '3600' }), 0, 0.5)).toBe(10_000);
    expect(retryWaitMs(answer({ 'retry-after': 'soon' }), 1, 0)).toBe(500);
  });
});
