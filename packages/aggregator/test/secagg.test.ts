/**
 * Secure-aggregation rounds in the aggregator, in process (`app.inject`): 20 devices driven by `SecAggDevice`
 * and `encodeDdg` run the four steps over HTTP and a new version is published whose step is the release of the
 * decoded sum over the survivors, computed here separately from the devices' own encodings; dropouts after
 * masking; refusals to unmask; every class of bad message answered with problem+json while the round goes on;
 * a device that lies about its vector: detected above the norm bound of honest sums, unseen within its slack.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { fromB64, toB64, type DevicePolicy, type MaskedInputRequest, type ShareKeysRequest, type UnmaskRequest } from '@perch/learn/secagg';
import { loadExport } from '@perch/model/export';
import { checkRound, DEFAULT_POLICY, DEFAULT_SECAGG_POLICY } from '@perch/learn/privacy';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { bitsFromRng, checkDdgSum, encodeDdg, fromZmCentred, rotate, rotationLayout, roundedNormBound, sumModM, sumNormBound, toZm } from '@perch/learn/ddg';
import { Rng } from '@perch/model/rng';
import { buildApp } from '../src/app.js';
import type { RoundInfo } from '../src/schemas/round.js';
import { layoutOf, post, roundInfo, tempDir, testApp, testConfig, updateFor, waitFor } from './helper.js';
import { ddgParams, encodedUpdate, expectedStep, expectStep, HttpDevice, injectSend, StepError } from './secagg-helper.js';
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
    expect(s).toMatchObject({ bits: 15, k: 92, t: 28, minCohort: 100, maxCohort: 140, longPollMs: 20_000, ddg: { clip: 1, beta: Math.exp(-0.5) } });
    expect(s.ddg.sigma).toBeGreaterThan(0);
    // A device with the default policy and its default secure-aggregation part takes part in the default round.
    const check = checkRound(info, { ...DEFAULT_POLICY, secagg: DEFAULT_SECAGG_POLICY }, { updateDim: s.ddg.dim });
    expect(check.ok ? 'accepted' : check.problems).toBe('accepted');
    expect(Date.parse(s.deadlines.unmask) - Date.parse(s.deadlines.advertise)).toBe(240_000);
    const bad = defaultConfig({ round: { minClients: 3, targetClients: 100, secagg: { k: 4, t: 2, minCohort: 3 } } }).round;
    expect(() => newRoundParams(bad, bad.secagg!, 1, 34_694, 0)).toThrow(/no noise scale fits 15 bits/);
  });

  it('20 devices complete a round in 4 POSTs each; the published step is the release of their decoded sum', async () => {
    const t = await testApp(ROUND); close = t.close;
    const info = await roundInfo(t.app);
    expect(info.secagg).toMatchObject({ protocol: 'secagg+', bits: 15, k: 18, t: 8, minCohort: 10, maxCohort: 25 });
    expect(info.secagg!.d).toBeGreaterThanOrEqual(info.layout.size);
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
function expectProblem(r: { status: number; body: Record<string, unknown>; headers: Record<string, string | undefined> }, status: number, reason: string): void {
  expect({ status: r.status, type: r.body.type }).toEqual({ status, type: `/problems/secagg/${reason}` });
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
}

describe('bad messages', () => {
  it('answers every class with problem+json and a stable type, and the round still publishes for the honest devices', async () => {
    const t = await testApp({ ...ROUND, secagg: { ...SECAGG, longPollMs: 300 } }); close = t.close;
    const info = await roundInfo(t.app);
    const s = info.secagg!;
    const send = injectSend(t.app);
    const devs = Array.from({ length: N }, () => new HttpDevice(info, send, POLICY));
    const xs = devs.map((_, i) => encodedUpdate(info, 5000 + i).values);
    const v1 = await weightsOf(t.app, 1);
    const json = 'application/json';
    const raw = (url: string, body: string | Uint8Array, headers: Record<string, string> = {}, ct = json) => send(url, body, { 'content-type': ct, ...headers });

    // Advertise stage.
    const d0 = devs[0]!;
    const good = await d0.advertiseMessage();
    const other = await new HttpDevice(info, send, POLICY).advertiseMessage();
    expectProblem(await raw(s.urls.advertise, JSON.stringify({ cPk: '!!', sPk: good.sPk })), 400, 'bad-encoding');
    expectProblem(await raw(s.urls.advertise, JSON.stringify({ cPk: good.cPk.slice(0, 40), sPk: good.sPk })), 400, 'bad-key');
    expectProblem(await raw(s.urls.advertise, JSON.stringify({ cPk: good.cPk })), 400, 'bad-encoding');
    expect((await raw(s.urls.advertise, 'cPk=1', {}, 'text/plain')).status).toBe(415);
    expectProblem(await raw(s.urls.advertise, JSON.stringify({ cPk: good.cPk, sPk: good.cPk })), 409, 'duplicate-key');
    expectProblem(await raw(s.urls.advertise, JSON.stringify(good), { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 401, 'unauthorized');
    expectProblem(await raw(s.urls.shareKeys, JSON.stringify({ step: 'share-keys' }), { authorization: 'Bearer nope' }), 401, 'unauthorized');
    const a0 = await raw(s.urls.advertise, JSON.stringify(good));
    expect(a0.status).toBe(202);
    expect(a0.headers['retry-after']).toBe('1');
    // The same keys again without the credential (its first answer lost): the same id and credential.
    const again = await raw(s.urls.advertise, JSON.stringify(good));
    expect(again.body).toMatchObject({ deviceId: a0.body.deviceId, token: a0.body.token });
    d0.adopt(a0.body);
    // Another device reusing d0's s key; the same c key with other keys.
    expectProblem(await raw(s.urls.advertise, JSON.stringify({ cPk: other.cPk, sPk: good.sPk })), 409, 'duplicate-key');
    expectProblem(await raw(s.urls.advertise, JSON.stringify({ cPk: good.cPk, sPk: other.sPk })), 409, 'duplicate-sender');
    // Early for share keys.
    expectProblem(await raw(s.urls.shareKeys, JSON.stringify({ step: 'share-keys', roundId: String(info.roundId), sender: d0.id, bCommit: 'A'.repeat(43), shares: [] }), { authorization: `Bearer ${d0.token!}` }), 409, 'out-of-order');
    // A plain upload to a secure-aggregation round.
    const plain = await post(t.app, info.roundId, updateFor(info, { seed: 1 }).bytes);
    expect(plain.statusCode).toBe(422);
    expect(plain.json()).toMatchObject({ type: '/problems/secagg/plain-upload' });
    const rest = devs.slice(1).map((d) => d.advertise());
    const sk0 = (await d0.post('advertise', s.urls.advertise, JSON.stringify(good), json)).body.request as ShareKeysRequest;
    const sk: ShareKeysRequest[] = [sk0, ...(await Promise.all(rest))];
    // Late advertise.
    const late = new HttpDevice(info, send, POLICY);
    expectProblem(await raw(s.urls.advertise, JSON.stringify(await late.advertiseMessage())), 410, 'stage-closed');

    // Share-keys stage: 19 devices, then the bad messages, then the last one.
    const auth = (i: number) => ({ authorization: `Bearer ${devs[i]!.token!}` });
    const msgs = await Promise.all(devs.map((d, i) => d.shareKeysMessage(sk[i]!)));
    const pending = devs.slice(0, 19).map((d, i) => d.post('share-keys', s.urls.shareKeys, msgs[i]!, json));
    await waitFor(async () => (t.app.rounds.secaggFor(info.roundId)?.received.shares ?? 0) >= 19);
    const m19 = JSON.parse(msgs[19]!) as { shares: { to: string; envelope: string }[]; sender: string };
    expectProblem(await raw(s.urls.shareKeys, msgs[19]!, auth(0)), 403, 'unknown-sender'); // posting as another device
    expectProblem(await raw(s.urls.shareKeys, msgs[0]!.replace(/"bCommit":"./, '"bCommit":"!'), auth(0)), 400, 'wrong-length');
    expectProblem(await raw(s.urls.shareKeys, JSON.stringify({ ...m19, shares: m19.shares.slice(1) }), auth(19)), 422, 'wrong-recipients');
    expectProblem(await raw(s.urls.shareKeys, JSON.stringify({ ...m19, shares: m19.shares.map((e, j) => (j === 0 ? { ...e, envelope: e.envelope.slice(0, 20) } : e)) }), auth(19)), 400, 'wrong-length');
    expectProblem(await raw(s.urls.shareKeys, JSON.stringify({ ...m19, roundId: '999' }), auth(19)), 422, 'wrong-round');
    expectProblem(await raw(s.urls.shareKeys, msgs[0]!.replace(/"bCommit":"[^"]*"/, `"bCommit":"${'B'.repeat(42)}A"`), auth(0)), 409, 'duplicate-sender');
    expectProblem(await raw(s.urls.maskedInput, new Uint8Array(10), auth(0), 'application/octet-stream'), 400, 'wrong-length');
    expectProblem(await raw(s.urls.maskedInput, new Uint8Array(Math.ceil((s.d * s.bits) / 8)), auth(0), 'application/octet-stream'), 409, 'out-of-order');
    expectProblem(await raw(s.urls.unmask, JSON.stringify({ step: 'unmasking', roundId: String(info.roundId), sender: devs[0]!.id, shares: [] }), auth(0)), 409, 'out-of-order');
    const mi: MaskedInputRequest[] = (await Promise.all([...pending, devs[19]!.post('share-keys', s.urls.shareKeys, msgs[19]!, json)])).map((r) => r.body.request as MaskedInputRequest);
    // A replayed share-keys message after its stage closed: the same answer, not a second copy.
    const replay = await raw(s.urls.shareKeys, msgs[3]!, auth(3));
    expect(replay.status).toBe(200);
    expect(replay.body.request).toEqual(mi[3]);
    expectProblem(await raw(s.urls.shareKeys, msgs[3]!.replace(/"bCommit":"[^"]*"/, `"bCommit":"${'C'.repeat(42)}A"`), auth(3)), 409, 'duplicate-sender');

    // Masked input: a forged envelope makes that device refuse (its own machine); the server never sees it.
    const forged = structuredClone(mi[5]!);
    forged.shares[0]!.envelope = forged.shares[0]!.envelope.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    await expect(devs[5]!.dev.maskedInput(forged, xs[5]!)).resolves.toMatchObject({ ok: false, reason: 'bad-share' });
    const ys = await Promise.all(devs.map((d, i) => d.maskedBytes(mi[i]!, xs[i]!)));
    const pendingMask = devs.slice(0, 19).map((d, i) => d.post('masked-input', s.urls.maskedInput, ys[i]!, 'application/octet-stream'));
    await waitFor(async () => (t.app.rounds.secaggFor(info.roundId)?.received.masked ?? 0) >= 19);
    const padded = ys[19]!.slice(); padded[padded.length - 1] = padded[padded.length - 1]! | 0x80;
    if ((s.d * s.bits) % 8 !== 0) expectProblem(await raw(s.urls.maskedInput, padded, auth(19), 'application/octet-stream'), 400, 'bad-encoding');
    expectProblem(await raw(s.urls.maskedInput, ys[19]!.subarray(1), auth(19), 'application/octet-stream'), 400, 'wrong-length');
    expectProblem(await raw(s.urls.maskedInput, ys[1]!, auth(0), 'application/octet-stream'), 409, 'duplicate-sender');
    const um: UnmaskRequest[] = (await Promise.all([...pendingMask, devs[19]!.post('masked-input', s.urls.maskedInput, ys[19]!, 'application/octet-stream')])).map((r) => r.body.request as UnmaskRequest);

    // Unmask: the other share kind for a survivor (asking the server to take s of a survivor) is refused.
    const u0 = JSON.parse(await devs[0]!.unmaskMessage(um[0]!)) as { shares: { owner: string; kind: string; share: string }[] };
    expectProblem(await raw(s.urls.unmask, JSON.stringify({ ...u0, shares: u0.shares.map((e, j) => (j === 0 ? { ...e, kind: 's' } : e)) }), auth(0)), 422, 'bad-share');
    expectProblem(await raw(s.urls.unmask, JSON.stringify({ ...u0, shares: u0.shares.map((e, j) => (j === 0 ? { ...e, share: 'x' } : e)) }), auth(0)), 400, 'wrong-length');
    // Forged shares (right length and x-coordinate, wrong values) and shares copied from another device's message
    // are accepted as well-formed; the reconstruction leaves the wrong ones out and the sum is still exact.
    const forgedShare = u0.shares.map((e) => ({ ...e, share: toB64(Uint8Array.from([...Array.from({ length: 32 }, (_, q) => q), fromB64(e.share)!.at(-1)!])) }));
    expect((await raw(s.urls.unmask, JSON.stringify({ ...u0, shares: forgedShare }), auth(0))).status).toBe(200);
    const u1 = JSON.parse(await devs[1]!.unmaskMessage(um[1]!)) as typeof u0;
    const u2 = JSON.parse(await devs[2]!.unmaskMessage(um[2]!)) as typeof u0;
    const copied = u1.shares.map((e) => { const other = u2.shares.find((f) => f.owner === e.owner); return other ? { ...e, share: other.share } : e; });
    expect((await raw(s.urls.unmask, JSON.stringify({ ...u1, shares: copied }), auth(1))).status).toBe(200);
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
    expectProblem(await raw(s.urls.unmask, JSON.stringify(u0), auth(0)), 410, 'stage-closed');
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
      const delta = Float32Array.from({ length: info.layout.size }, () => rng.normal());
      const norm = Math.hypot(...delta);
      return encodeDdg(delta.map((v) => (v * 50 * info.clipBound) / norm), { ...ddgParams(info.secagg!), clip: 50 * info.clipBound }, new Rng(1), bitsFromRng(new Rng(2))).values;
    }));

    // (c) The vector along one model coordinate (of a trained tensor) that brings the sum to just under the bound.
    let chosen = -1, bound = 0, honestNorm = 0;
    const r = await run(7000, (info, honest) => {
      const s = info.secagg!, p = ddgParams(s), layout = layoutOf(info);
      const ti = layout.tensors.findIndex((t) => !info.local.frozen.includes(t.name));
      chosen = layout.offsets[ti]! + 3;
      const hs = fromZmCentred(sumModM(honest, s.bits), s.bits);
      bound = sumNormBound({ n: N, clip: p.clip, gamma: p.gamma, beta: p.beta, dim: s.d, sigma: p.sigma });
      const u = new Float64Array(p.dim); u[chosen] = 1;
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
