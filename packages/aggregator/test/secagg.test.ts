/**
 * Secure-aggregation rounds in the aggregator, in process (`app.inject`): 20 devices driven by `SecAggDevice`
 * and `encodeDdg` run the four steps over HTTP and a new version is published whose step is the release of the
 * decoded sum over the survivors, computed here separately from the devices' own encodings; dropouts after
 * masking; refusals to unmask; every class of bad message answered with problem+json while the round goes on;
 * a device that lies about its vector: detected above the norm bound of honest sums, unseen within its slack.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { encodeReply, encodeRequest, fromB64, toB64, WIRE_VERSION, type DevicePolicy, type MaskedInputRequest, type ShareKeysRequest, type UnmaskRequest } from '@perch/learn/secagg';
import { loadExport } from '@perch/model/export';
import { checkRound, DEFAULT_POLICY, DEFAULT_SECAGG_POLICY } from '@perch/learn/privacy';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { bitsFromRng, checkDdgSum, encodeDdg, fromZmCentred, rotate, rotationLayout, roundedNormBound, sumModM, sumNormBound, toZm } from '@perch/learn/ddg';
import { Rng } from '@perch/model/rng';
import { buildApp } from '../src/app.js';
import type { RoundInfo } from '../src/schemas/round.js';
import { DEFAULT_SECAGG_RECIPE, trainedBy } from '@perch/learn/client';
import { makeLayout, selectedSize } from '@perch/learn/update';
import { layoutOf, post, roundInfo, tempDir, testApp, testConfig, updateFor, waitFor } from './helper.js';
import { ddgParams, encodedUpdate, expectedStep, expectStep, HttpDevice, injectSend, StepError, WIRE, type Reply } from './secagg-helper.js';
import { defaultConfig, type RoundOverrides } from '../src/config.js';
import { newRoundParams } from '../src/secagg/params.js';

export const N = 20;
export const SECAGG: NonNullable<RoundOverrides['secagg']> = {
  k: 18, t: 8, minCohort: 10, maxCohort: 25, sigma: 0.001,
  stageMs: { advertise: 60_000, shareKeys: 30_000, maskedInput: 30_000, unmask: 30_000 }, longPollMs: 5_000,
};
export const ROUND: RoundOverrides = { minClients: 10, targetClients: N, closeAtTarget: true, noiseMultiplier: 0, serverOptimizer: 'sgd', serverLearningRate: 1, secagg: SECAGG };
/** Stages that end at their deadline in the dropout tests: long enough for the devices that do answer on a busy machine. */
const SHORT_UNMASK: RoundOverrides = { ...ROUND, secagg: { ...SECAGG, stageMs: { ...SECAGG.stageMs, maskedInput: 8_000, unmask: 5_000 } } };
export const POLICY: DevicePolicy = { minCohort: 10, minDegree: 18, minThreshold: 8 };

let close: (() => Promise<void>) | undefined;
afterEach(async () => { await close?.(); close = undefined; });

async function weightsOf(app: FastifyInstance, version: number) {
  const manifestBytes = new Uint8Array((await app.inject({ method: 'GET', url: `/v1/model/versions/${version}/manifest.json` })).rawPayload);
  const read = async (path: string) => new Uint8Array((await app.inject({ method: 'GET', url: `/v1/model/versions/${version}/${path}` })).rawPayload);
  const l = await loadExport(read, manifestBytes);
  return { manifest: l.manifest, weights: l.weights };
}

describe('secure-aggregation rounds over HTTP', () => {
  it('announces the libraries\' defaults, and refuses to start when no noise scale fits the modulus', async () => {
    const t = await testApp({ minClients: 10, targetClients: 100, secagg: {} }); close = t.close;
    const info = await roundInfo(t.app), s = info.secagg!;
    // chooseParams(100); the device policy's default min cohort of 100; σ calibrated for ⌊100 · 0.65⌋ = 65 honest devices.
    expect(s).toMatchObject({ bits: 20, k: 92, t: 28, minCohort: 100, maxCohort: 140, longPollMs: 20_000, ddg: { clip: 1, beta: Math.exp(-0.5) } });
    expect(s.ddg.sigma).toBeGreaterThan(0);
    // A device with the default policy and its default secure-aggregation part takes part in the default round.
    const check = checkRound(info, { ...DEFAULT_POLICY, secagg: DEFAULT_SECAGG_POLICY }, { updateDim: info.layout.size });
    expect(check.ok ? 'accepted' : check.problems).toBe('accepted');
    expect(Date.parse(s.deadlines.unmask) - Date.parse(s.deadlines.advertise)).toBe(240_000);
    const bad = defaultConfig({ round: { minClients: 3, targetClients: 100, secagg: { bits: 15, k: 4, t: 2, minCohort: 3 } } }).round;
    expect(() => newRoundParams(bad, bad.secagg!, 1, makeLayout({ w: [34_694] }, ['w']), 0)).toThrow(/no noise scale fits 15 bits/);
  });

  it('20 devices complete a round in 4 POSTs each; the published step is the release of their decoded sum', async () => {
    const t = await testApp(ROUND); close = t.close;
    const info = await roundInfo(t.app);
    expect(info.secagg).toMatchObject({ protocol: 'secagg+', bits: 20, k: 18, t: 8, minCohort: 10, maxCohort: 25 });
    // The masked vector carries the trained tensors only: the secure-aggregation recipe's.
    expect(info.local.frozen).toEqual(DEFAULT_SECAGG_RECIPE.frozen);
    expect(info.secagg!.ddg.tensors).toEqual(trainedBy(DEFAULT_SECAGG_RECIPE));
    expect(info.secagg!.ddg.dim).toBe(selectedSize(layoutOf(info), info.secagg!.ddg.tensors));
    expect(info.secagg!.ddg.dim).toBeLessThan(info.layout.size);
    expect(info.secagg!.d).toBe(rotationLayout(info.secagg!.ddg.dim).padded);
    const send = injectSend(t.app);
    const devs = Array.from({ length: N }, () => new HttpDevice(info, send, POLICY));
    const xs = devs.map((_, i) => encodedUpdate(info, 1000 + 7 * i).values);
    const v1 = await weightsOf(t.app, 1);
    const sk = await Promise.all(devs.map((d) => d.advertise()));
    const mi = await Promise.all(devs.map((d, i) => d.shareKeys(sk[i]!)));
    const um = await Promise.all(devs.map((d, i) => d.maskedInput(mi[i]!, xs[i]!)));
    expect(um[0]!.survivors).toHaveLength(N);
    await Promise.all(devs.map((d, i) => d.unmask(um[i]!)));
    expect(devs.map((d) => d.posts)).toEqual(devs.map(() => 4));
    const next = await waitFor(async () => { const r = await roundInfo(t.app); return r.baseVersion === 2 && r; });
    expect(next.secagg?.graphSeed).not.toBe(info.secagg!.graphSeed);
    const v2 = await weightsOf(t.app, 2);
    expectStep(info, v1.weights, v2.weights, expectedStep(info, xs, info.local.frozen));
    expect((v2.manifest.hyperParameters as { federated: Record<string, unknown> }).federated).toMatchObject({ clients: N, secagg: { protocol: 'secagg+', survivors: N, participants: N, cohort: N } });
  });

  it('30 % drop after masking (never send y) and one survivor never unmasks: the step is the survivors\' decoded sum', async () => {
    const t = await testApp(SHORT_UNMASK); close = t.close;
    const info = await roundInfo(t.app);
    const devs = Array.from({ length: N }, () => new HttpDevice(info, injectSend(t.app), POLICY));
    const xs = devs.map((_, i) => encodedUpdate(info, 2000 + 11 * i).values);
    const v1 = await weightsOf(t.app, 1);
    const sk = await Promise.all(devs.map((d) => d.advertise()));
    const mi = await Promise.all(devs.map((d, i) => d.shareKeys(sk[i]!)));
    const dropped = new Set([1, 4, 7, 10, 13, 16]); // 30 %: masked their vector, never sent it
    for (const i of dropped) await devs[i]!.maskedBytes(mi[i]!, xs[i]!);
    const live = devs.map((_, i) => i).filter((i) => !dropped.has(i));
    const um = await Promise.all(live.map((i) => devs[i]!.maskedInput(mi[i]!, xs[i]!)));
    expect(um[0]!.survivors).toHaveLength(live.length);
    // One survivor never sends its shares: the unmask stage closes at its deadline with 13 of 14.
    await Promise.all(live.slice(1).map((i, j) => devs[i]!.unmask(um[j + 1]!)));
    const next = await waitFor(async () => { const r = await roundInfo(t.app); return r.roundId !== info.roundId && r.secagg !== undefined && r; }, 40_000);
    expect(next.baseVersion).toBe(2);
    const v2 = await weightsOf(t.app, 2);
    expectStep(info, v1.weights, v2.weights, expectedStep(info, live.map((i) => xs[i]!), info.local.frozen));
    // The signed survivor set is the one every survivor was asked to unmask for (what devices check afterwards).
    const survivorsSha256 = createHash('sha256').update(JSON.stringify(um[0]!.survivors)).digest('hex');
    expect((v2.manifest.hyperParameters as { federated: Record<string, unknown> }).federated).toMatchObject({ round: info.roundId, clients: live.length, secagg: { survivors: live.length, survivorsSha256, participants: N, cohort: N } });
  }, 60_000);

  it('refuses to unmask below minCohort survivors, and fails without publishing when fewer than t shares arrive', async () => {
    const t = await testApp(SHORT_UNMASK); close = t.close;
    // (a) 12 of 20 drop before sending y: 8 survivors < minCohort 10 → the round fails at the masked-input close,
    // no device is asked to unmask.
    let info = await roundInfo(t.app);
    let devs = Array.from({ length: N }, () => new HttpDevice(info, injectSend(t.app), POLICY));
    let xs = devs.map((_, i) => encodedUpdate(info, 3000 + i).values);
    let sk = await Promise.all(devs.map((d) => d.advertise()));
    let mi = await Promise.all(devs.map((d, i) => d.shareKeys(sk[i]!)));
    const outcomes = await Promise.allSettled(devs.slice(0, 8).map((d, i) => d.maskedInput(mi[i]!, xs[i]!)));
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      const e = (o as PromiseRejectedResult).reason as StepError;
      expect(e.reply.status).toBe(410);
      expect(e.reply.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(e.reply.body).toMatchObject({ type: '/problems/secagg/round-failed' });
      expect(String(e.reply.body.detail)).toMatch(/cohort-too-small/);
    }
    let next = await waitFor(async () => { const r = await roundInfo(t.app); return r.roundId !== info.roundId && r.secagg !== undefined && r; }, 20_000);
    expect(next.baseVersion).toBe(1);
    const row = await t.app.store.secaggRound(info.roundId);
    expect(row).toMatchObject({ stage: 'failed' });
    expect(row!.reason).toMatch(/masked-input: cohort-too-small/);

    // (b) all 20 mask, but only 3 send their shares (< t = 8 for every secret): nothing is published.
    info = next;
    devs = Array.from({ length: N }, () => new HttpDevice(info, injectSend(t.app), POLICY));
    xs = devs.map((_, i) => encodedUpdate(info, 4000 + i).values);
    sk = await Promise.all(devs.map((d) => d.advertise()));
    mi = await Promise.all(devs.map((d, i) => d.shareKeys(sk[i]!)));
    const um = await Promise.all(devs.map((d, i) => d.maskedInput(mi[i]!, xs[i]!)));
    await Promise.all(devs.slice(0, 3).map((d, i) => d.unmask(um[i]!)));
    next = await waitFor(async () => { const r = await roundInfo(t.app); return r.roundId !== info.roundId && r.secagg !== undefined && r; }, 40_000);
    expect(next.baseVersion).toBe(1);
    expect((await t.app.store.secaggRound(info.roundId))!.reason).toMatch(/unmasking: below-threshold/);
    expect((await t.app.inject({ method: 'GET', url: '/v1/model/versions/2/manifest.json' })).statusCode).toBe(404);
  }, 80_000);
});

/** Problem+json with the given status and `/problems/secagg/<reason>`. */
function expectProblem(r: Reply, status: number, reason: string, detail?: RegExp): void {
  expect({ status: r.status, type: r.body.type }).toEqual({ status, type: `/problems/secagg/${reason}` });
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  if (detail) expect(String(r.body.detail)).toMatch(detail);
}

/** `b` with byte `i` set to `v` (negative: from the end). */
const withByte = (b: Uint8Array, i: number, v: number): Uint8Array => { const c = b.slice(); c[i < 0 ? c.length + i : i] = v; return c; };
const longer = (b: Uint8Array): Uint8Array => { const c = new Uint8Array(b.length + 1); c.set(b); return c; };

describe('bad messages', () => {
  it('answers every class with problem+json and a stable type, and the round still publishes for the honest devices', async () => {
    const t = await testApp({ ...ROUND, secagg: { ...SECAGG, longPollMs: 300 } }); close = t.close;
    const info = await roundInfo(t.app);
    const s = info.secagg!;
    const roundId = String(info.roundId);
    const send = injectSend(t.app);
    const devs = Array.from({ length: N }, () => new HttpDevice(info, send, POLICY));
    const xs = devs.map((_, i) => encodedUpdate(info, 5000 + i).values);
    const v1 = await weightsOf(t.app, 1);
    const raw = (url: string, body: string | Uint8Array, headers: Record<string, string> = {}, ct = WIRE) => send(url, body, { 'content-type': ct, ...headers });
    /** Bytes of the header (version, step, round id) and of a sender index. */
    const H = 3 + roundId.length, W = 2;

    // Advertise stage.
    const d0 = devs[0]!;
    const good = await d0.advertiseKeys();
    const goodBytes = await d0.advertiseMessage(good);
    const other = await new HttpDevice(info, send, POLICY).advertiseKeys();
    const adv = (keys: { cPk: string; sPk: string }, o: { sender?: string; roundId?: string } = {}) =>
      encodeReply({ step: 'advertise-keys', roundId: o.roundId ?? roundId, sender: o.sender ?? '', ...keys });
    // The wire form only: JSON, text and plain octet-stream bodies are refused as the wrong media type.
    for (const [body, ct] of [[JSON.stringify(good), 'application/json'], ['cPk=1', 'text/plain'], [goodBytes, 'application/octet-stream']] as const) {
      const r = await raw(s.urls.advertise, body, {}, ct);
      expect({ status: r.status, type: r.body.type, ct: r.headers['content-type'] }).toEqual({ status: 415, type: '/problems/unsupported-media-type', ct: expect.stringMatching(/^application\/problem\+json/) });
      expect(String(r.body.detail)).toContain(WIRE);
    }
    expectProblem(await raw(s.urls.advertise, withByte(goodBytes, 0, WIRE_VERSION + 1)), 400, 'bad-version', /wire version 2, expected 1/);
    expectProblem(await raw(s.urls.advertise, new TextEncoder().encode(JSON.stringify(good))), 400, 'bad-version');
    expectProblem(await raw(s.urls.advertise, new Uint8Array(0)), 400, 'wrong-length', /truncated/);
    expectProblem(await raw(s.urls.advertise, goodBytes.subarray(0, 2)), 400, 'wrong-length', /truncated/);
    expectProblem(await raw(s.urls.advertise, goodBytes.subarray(0, goodBytes.length - 1)), 400, 'bad-key', /keys are 63 bytes, expected 64/);
    expectProblem(await raw(s.urls.advertise, longer(goodBytes)), 400, 'wrong-length', /1 trailing bytes/);
    expectProblem(await raw(s.urls.advertise, adv(good, { sender: 'me' })), 400, 'malformed', /aggregator assigns the device id/);
    expectProblem(await raw(s.urls.advertise, adv(good, { roundId: '999' })), 422, 'wrong-round');
    expectProblem(await raw(s.urls.advertise, encodeRequest({ step: 'advertise-keys', roundId, seed: s.graphSeed, bits: s.bits, d: s.d })), 400, 'malformed', /a request where a reply was expected/);
    expectProblem(await raw(s.urls.advertise, encodeReply({ step: 'unmasking', roundId, sender: 'x', shares: [] }, { participants: ['x'] })), 409, 'out-of-order');
    expectProblem(await raw(s.urls.advertise, withByte(goodBytes, 3, 0xff)), 400, 'bad-encoding'); // round id not UTF-8
    expectProblem(await raw(s.urls.advertise, new Uint8Array(2048)), 413, 'too-large', /larger than any message of this step/);
    expectProblem(await raw(s.urls.advertise, adv({ cPk: good.cPk, sPk: good.cPk })), 409, 'duplicate-key');
    expectProblem(await raw(s.urls.advertise, goodBytes, { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 401, 'unauthorized');
    expectProblem(await raw(s.urls.shareKeys, new Uint8Array(8), { authorization: 'Bearer nope' }), 401, 'unauthorized');
    const a0 = await raw(s.urls.advertise, goodBytes);
    expect(a0.status).toBe(202);
    expect(a0.headers['retry-after']).toBe('1');
    expect(a0.body).toMatchObject({ status: 'pending', stage: 'advertise-keys' });
    // The same bytes again without the credential (its first answer lost): the same credential. (Media type
    // parameters are ignored.)
    const again = await raw(s.urls.advertise, goodBytes, {}, `${WIRE}; q=1`);
    expect(again.status).toBe(202);
    expect(again.headers.token).toBe(a0.headers.token);
    d0.adopt(a0);
    // Another device reusing d0's s key; the same c key with other keys (another body: refused as a second message).
    expectProblem(await raw(s.urls.advertise, adv({ cPk: other.cPk, sPk: good.sPk })), 409, 'duplicate-key');
    expectProblem(await raw(s.urls.advertise, adv({ cPk: good.cPk, sPk: other.sPk })), 409, 'duplicate-sender');
    // Early for share keys: the participants are not fixed yet.
    const early = encodeReply({ step: 'share-keys', roundId, sender: d0.id!, bCommit: toB64(new Uint8Array(32)), shares: [] }, { participants: [d0.id!] });
    expectProblem(await raw(s.urls.shareKeys, early, { authorization: `Bearer ${d0.token!}` }), 409, 'out-of-order');
    // A plain upload to a secure-aggregation round.
    const plain = await post(t.app, info.roundId, updateFor(info, { seed: 1 }).bytes);
    expect(plain.statusCode).toBe(422);
    expect(plain.json()).toMatchObject({ type: '/problems/secagg/plain-upload' });
    const rest = devs.slice(1).map((d) => d.advertise());
    const sk0 = d0.request<ShareKeysRequest>(await d0.post('advertise', s.urls.advertise, goodBytes), 'share-keys');
    const sk: ShareKeysRequest[] = [sk0, ...(await Promise.all(rest))];
    // Late advertise.
    const late = new HttpDevice(info, send, POLICY);
    expectProblem(await raw(s.urls.advertise, await late.advertiseMessage()), 410, 'stage-closed');

    // Share-keys stage: 19 devices, then the bad messages, then the last one.
    const auth = (i: number) => ({ authorization: `Bearer ${devs[i]!.token!}` });
    const msgs = await Promise.all(devs.map((d, i) => d.shareKeysReply(sk[i]!)));
    const bytes = msgs.map((m, i) => devs[i]!.encode(m));
    const pending = devs.slice(0, 19).map((d, i) => d.post('share-keys', s.urls.shareKeys, bytes[i]!));
    await waitFor(async () => (t.app.rounds.secaggFor(info.roundId)?.received.shares ?? 0) >= 19);
    const m19 = msgs[19]!, enc19 = (m: typeof m19) => devs[19]!.encode(m);
    expectProblem(await raw(s.urls.shareKeys, bytes[19]!, auth(0)), 403, 'unknown-sender'); // posting as another device
    expectProblem(await raw(s.urls.shareKeys, bytes[19]!.subarray(0, bytes[19]!.length - 1), auth(19)), 400, 'wrong-length', /truncated/);
    expectProblem(await raw(s.urls.shareKeys, longer(bytes[19]!), auth(19)), 400, 'wrong-length', /trailing/);
    expectProblem(await raw(s.urls.shareKeys, withByte(bytes[19]!, 0, 0), auth(19)), 400, 'bad-version');
    // the first envelope's recipient index (after the sender, the commitment and the count) outside the participants
    expectProblem(await raw(s.urls.shareKeys, withByte(withByte(bytes[19]!, H + W + 32 + 2, 0xff), H + W + 32 + 3, 0xff), auth(19)), 400, 'malformed', /device index 65535 outside the 20 participants/);
    expectProblem(await raw(s.urls.shareKeys, enc19({ ...m19, shares: m19.shares.slice(1) }), auth(19)), 422, 'wrong-recipients');
    expectProblem(await raw(s.urls.shareKeys, enc19({ ...m19, roundId: '999' }), auth(19)), 422, 'wrong-round');
    expectProblem(await raw(s.urls.shareKeys, devs[0]!.encode({ ...msgs[0]!, bCommit: toB64(new Uint8Array(32).fill(7)) }), auth(0)), 409, 'duplicate-sender');
    // Another step's message at this endpoint, and messages of later steps before their stage.
    const mask0 = devs[0]!.encode({ step: 'masked-input', roundId, sender: devs[0]!.id!, y: toB64(new Uint8Array(Math.ceil((s.d * s.bits) / 8))) });
    expectProblem(await raw(s.urls.shareKeys, mask0, auth(0)), 409, 'out-of-order', /a masked-input message where share-keys was expected/);
    expectProblem(await raw(s.urls.maskedInput, mask0.subarray(0, 10), auth(0)), 400, 'wrong-length');
    expectProblem(await raw(s.urls.maskedInput, mask0, auth(0)), 409, 'out-of-order');
    expectProblem(await raw(s.urls.unmask, devs[0]!.encode({ step: 'unmasking', roundId, sender: devs[0]!.id!, shares: [] }), auth(0)), 409, 'out-of-order');
    const replies = await Promise.all([...pending, devs[19]!.post('share-keys', s.urls.shareKeys, bytes[19]!)]);
    const mi: MaskedInputRequest[] = replies.map((r, i) => devs[i]!.request<MaskedInputRequest>(r, 'masked-input'));
    // A replayed share-keys message after its stage closed (the same bytes, by their SHA-256): the same answer, not a second copy.
    const replay = await raw(s.urls.shareKeys, bytes[3]!, auth(3));
    expect(replay.status).toBe(200);
    expect(replay.raw).toEqual(replies[3]!.raw);
    expect(devs[3]!.request(replay, 'masked-input')).toEqual(mi[3]);
    expect(t.app.rounds.secaggFor(info.roundId)!.received.shares).toBe(N);
    expectProblem(await raw(s.urls.shareKeys, devs[3]!.encode({ ...msgs[3]!, bCommit: toB64(new Uint8Array(32).fill(9)) }), auth(3)), 409, 'duplicate-sender');

    // Masked input: a forged envelope makes that device refuse (its own machine); the server never sees it.
    const forged = structuredClone(mi[5]!);
    forged.shares[0]!.envelope = forged.shares[0]!.envelope.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    await expect(devs[5]!.dev.maskedInput(forged, xs[5]!)).resolves.toMatchObject({ ok: false, reason: 'bad-share' });
    const ys = await Promise.all(devs.map((d, i) => d.maskedBytes(mi[i]!, xs[i]!)));
    const pendingMask = devs.slice(0, 19).map((d, i) => d.post('masked-input', s.urls.maskedInput, ys[i]!));
    await waitFor(async () => (t.app.rounds.secaggFor(info.roundId)?.received.masked ?? 0) >= 19);
    if ((s.d * s.bits) % 8 !== 0) expectProblem(await raw(s.urls.maskedInput, withByte(ys[19]!, -1, ys[19]!.at(-1)! | 0x80), auth(19)), 400, 'bad-encoding', /padding bits/);
    expectProblem(await raw(s.urls.maskedInput, ys[19]!.subarray(0, ys[19]!.length - 1), auth(19)), 400, 'wrong-length', /truncated/);
    expectProblem(await raw(s.urls.maskedInput, longer(ys[19]!), auth(19)), 400, 'wrong-length', /trailing/);
    expect((await raw(s.urls.maskedInput, ys[19]!, auth(19), 'application/octet-stream')).status).toBe(415);
    expectProblem(await raw(s.urls.maskedInput, ys[1]!, auth(0)), 403, 'unknown-sender');
    expectProblem(await raw(s.urls.maskedInput, withByte(ys[0]!, H + W, ys[0]![H + W]! ^ 1), auth(0)), 409, 'duplicate-sender');
    const um: UnmaskRequest[] = (await Promise.all([...pendingMask, devs[19]!.post('masked-input', s.urls.maskedInput, ys[19]!)])).map((r, i) => devs[i]!.request<UnmaskRequest>(r, 'unmasking'));

    // Unmask: the other share kind for a survivor (asking the server to take s of a survivor) is refused.
    const u0 = await devs[0]!.unmaskReply(um[0]!);
    const e0 = (shares: typeof u0.shares) => devs[0]!.encode({ ...u0, shares });
    expectProblem(await raw(s.urls.unmask, e0(u0.shares.map((e, j) => (j === 0 ? { ...e, kind: 's' as const } : e))), auth(0)), 422, 'bad-share');
    // the first share's kind byte (after the sender, the count and the owner) neither b nor s
    expectProblem(await raw(s.urls.unmask, withByte(e0(u0.shares), H + W + 2 + W, 2), auth(0)), 400, 'malformed', /share kind 2/);
    expectProblem(await raw(s.urls.unmask, e0(u0.shares).subarray(0, H + W + 2 + W + 1 + 20), auth(0)), 400, 'wrong-length', /truncated/);
    // Forged shares (right length and x-coordinate, wrong values) and shares copied from another device's message
    // are accepted as well-formed; the reconstruction leaves the wrong ones out and the sum is still exact.
    const forgedShare = u0.shares.map((e) => ({ ...e, share: toB64(Uint8Array.from([...Array.from({ length: 32 }, (_, q) => q), fromB64(e.share)!.at(-1)!])) }));
    expect((await raw(s.urls.unmask, e0(forgedShare), auth(0))).status).toBe(200);
    const u1 = await devs[1]!.unmaskReply(um[1]!);
    const u2 = await devs[2]!.unmaskReply(um[2]!);
    const copied = u1.shares.map((e) => { const o = u2.shares.find((f) => f.owner === e.owner); return o ? { ...e, share: o.share } : e; });
    expect((await raw(s.urls.unmask, devs[1]!.encode({ ...u1, shares: copied }), auth(1))).status).toBe(200);
    await Promise.all(devs.slice(2).map((d, i) => d.unmask(um[i + 2]!)));
    await waitFor(async () => (await roundInfo(t.app)).baseVersion === 2);
    const v2 = await weightsOf(t.app, 2);
    expectStep(info, v1.weights, v2.weights, expectedStep(info, xs, info.local.frozen));
    // Whether the wrong shares spoiled the first reconstruction depends on which t shares of a secret it took
    // (arrival order); if they did, the robust pass keeps t good shares per secret and the manifest counts every
    // other share it removed. Either way the sum above is exact.
    const leftOut = (v2.manifest.hyperParameters as { federated: { secagg: { sharesLeftOut: number } } }).federated.secagg.sharesLeftOut;
    expect(Number.isInteger(leftOut) && leftOut >= 0).toBe(true);
    // The finished round: anything more is refused as closed.
    expectProblem(await raw(s.urls.unmask, e0(u0.shares), auth(0)), 410, 'stage-closed');
    expect((await t.app.store.secaggRound(info.roundId))!.stage).toBe('done');
  }, 60_000);
});

describe('a device that lies about its vector (no norm proof: the aggregator checks the unmasked sum)', () => {
  it('garbage residues and a vector of 50·C fail the round and publish nothing; a vector filling the slack in a chosen direction is published and moves the step by the stated limit', async () => {
    const { dir, cleanup } = tempDir();
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _enc, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
    const app = await buildApp({ config: testConfig(dir, ROUND) }, { logger: { level: 'info', stream } });
    close = async () => { await app.close(); cleanup(); };
    /** One round in which device 0 masks `liar(...)` and the 19 others their honest encodings. */
    const run = async (seed: number, liar: (info: RoundInfo, honest: Uint32Array[]) => Uint32Array) => {
      const info = await roundInfo(app);
      const devs = Array.from({ length: N }, () => new HttpDevice(info, injectSend(app), POLICY));
      const honest = devs.slice(1).map((_, i) => encodedUpdate(info, seed + 7 * i).values);
      const xs = [liar(info, honest), ...honest];
      const sk = await Promise.all(devs.map((d) => d.advertise()));
      const mi = await Promise.all(devs.map((d, i) => d.shareKeys(sk[i]!)));
      const um = await Promise.all(devs.map((d, i) => d.maskedInput(mi[i]!, xs[i]!)));
      await Promise.all(devs.map((d, i) => d.unmask(um[i]!)));
      const next = await waitFor(async () => { const r = await roundInfo(app); return r.roundId !== info.roundId && r.secagg !== undefined && r; }, 30_000);
      return { info, honest, xs, next };
    };
    const refused = async (r: Awaited<ReturnType<typeof run>>): Promise<void> => {
      expect(r.next.baseVersion).toBe(1);
      expect((await app.store.secaggRound(r.info.roundId))!.reason).toMatch(/^unmasking: sum-out-of-bound: the sum of 20 devices has norm \d+\.\d+ × the bound/);
      expect((await app.inject({ method: 'GET', url: '/v1/model/versions/2/manifest.json' })).statusCode).toBe(404);
      expect(lines.some((l) => l.includes('sum-out-of-bound') && l.includes(`"round":${r.info.roundId}`))).toBe(true);
    };

    // (a) Residues drawn uniformly from Z_m.
    const rng = new Rng(99);
    await refused(await run(6000, (info) => Uint32Array.from({ length: info.secagg!.d }, () => rng.nextU32() % 2 ** info.secagg!.bits)));

    // (b) An update of norm 50·C encoded without clipping (the encoding of a device whose clip is 50).
    await refused(await run(6500, (info) => {
      const delta = Float32Array.from({ length: info.secagg!.ddg.dim }, () => rng.normal());
      const norm = Math.hypot(...delta);
      return encodeDdg(delta.map((v) => (v * 50 * info.clipBound) / norm), { ...ddgParams(info.secagg!), clip: 50 * info.clipBound }, new Rng(1), bitsFromRng(new Rng(2))).values;
    }));

    // (c) The vector along one model coordinate (of a trained tensor) that brings the sum to just under the bound.
    let chosen = -1, bound = 0, honestNorm = 0;
    const r = await run(7000, (info, honest) => {
      const s = info.secagg!, p = ddgParams(s), layout = layoutOf(info);
      // The masked vector carries the trained tensors (ddg.tensors) in layout order: its value 3 is the first one's.
      const ti = layout.tensors.findIndex((t) => t.name === s.ddg.tensors[0]);
      chosen = layout.offsets[ti]! + 3;
      const hs = fromZmCentred(sumModM(honest, s.bits), s.bits);
      bound = sumNormBound({ n: N, clip: p.clip, gamma: p.gamma, beta: p.beta, dim: s.d, sigma: p.sigma });
      const u = new Float64Array(p.dim); u[3] = 1;
      const dirn = rotate(u, p.seed, rotationLayout(p.dim)); // unit norm: the rotation is orthogonal
      let dot = 0, hn2 = 0;
      hs.forEach((v, i) => { dot += v * dirn[i]!; hn2 += v * v; });
      honestNorm = Math.sqrt(hn2);
      const t = -dot + Math.sqrt(dot * dot - hn2 + (bound * (1 - 1e-3)) ** 2); // ‖others + t·dirn‖ = 0.999·B
      const e = toZm(Array.from(dirn, (v) => Math.round(v * t)), s.bits);
      expect(checkDdgSum(sumModM([e, ...honest], s.bits), p, N).ok).toBe(true);
      return e;
    });
    expect(r.next.baseVersion).toBe(2);
    const [v1, v2] = [await weightsOf(app, 1), await weightsOf(app, 2)];
    expectStep(r.info, v1.weights, v2.weights, expectedStep(r.info, r.xs, r.info.local.frozen));
    // The shift against the release of the 19 honest devices alone, in the published step.
    const layout = layoutOf(r.info), without = expectedStep(r.info, r.honest, r.info.local.frozen);
    const shift = new Float64Array(layout.size);
    layout.tensors.forEach((t, ti) => { const a = v2.weights[t.name]!, b = v1.weights[t.name]!; for (let i = 0; i < a.length; i++) shift[layout.offsets[ti]! + i] = a[i]! - b[i]! - without[layout.offsets[ti]! + i]!; });
    const size = Math.hypot(...shift);
    const { gamma } = r.info.secagg!.ddg, K = r.info.targetClients;
    // The stated limit: at most γ·(B + ‖others‖)/K; along a direction (nearly) orthogonal to the others' sum,
    // γ·√(B² − ‖others‖²)/K, which this liar reaches; many times an honest device's γ·Δ₂/K; all on the chosen coordinate.
    expect(size).toBeLessThanOrEqual((gamma * (bound + honestNorm)) / K);
    expect(size).toBeGreaterThan((0.99 * gamma * Math.sqrt(bound ** 2 - honestNorm ** 2)) / K);
    expect(Math.abs(shift[chosen]!)).toBeGreaterThan(0.99 * size);
    const delta2 = roundedNormBound(r.info.clipBound / gamma, r.info.secagg!.d, r.info.secagg!.ddg.beta);
    expect(size / ((gamma * delta2) / K)).toBeGreaterThan(15);
  }, 120_000);
});
