/**
 * kill -9 during a secure-aggregation round, against the real server in a child process on 127.0.0.1: at each
 * step (advertise, share keys, masked input, unmask, and right after the last unmask while the round finishes),
 * half the devices' messages are acknowledged, the server is killed, and a new server on the same database
 * resumes the round at that step: the acknowledged messages are answered as replays, the others accepted, and
 * the published step is exactly the release of the six devices' decoded sum. A stage whose deadline passed while
 * the server was down fails the round cleanly: nothing is published and the next round opens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { DevicePolicy, MaskedInputRequest, ShareKeysRequest, UnmaskRequest } from '@perch/learn/secagg';
import { childProcesses, killed, spawnServer, tempDir, waitFor } from './helper.js';
import { encodedUpdate, expectedStep, expectStep, fetchSend, HttpDevice, versionWeights, WIRE, type Reply, type Send } from './secagg-helper.js';
import type { RoundInfo } from '../src/schemas/round.js';

const N = 6;
const POLICY: DevicePolicy = { minCohort: 4, minDegree: 4, minThreshold: 3 };
const args = (db: string, stages = '120,60,60,60') => [
  '--db', db, '--min-clients', '4', '--target-clients', String(N), '--close-at-target', 'on', '--noise', '0', '--server-opt', 'sgd', '--server-lr', '1',
  '--rate-max', '1000000', '--secagg', 'on', '--secagg-k', '4', '--secagg-t', '3', '--secagg-min-cohort', '4', '--secagg-max-cohort', '8',
  '--secagg-stage-seconds', stages, '--secagg-long-poll-ms', '200', '--ddg-sigma', '0.001',
];

let cleanup: (() => void) | undefined;
const { children, reap } = childProcesses();
afterEach(() => { reap(); cleanup?.(); });

const getJson = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>;

type Kill = 'advertise' | 'share-keys' | 'masked-input' | 'unmask' | 'finish';

/** Runs a round of six devices with a kill -9 at `at`; returns the server's URL after the restart and the round. */
async function roundWithKill(at: Kill, o: { stages?: string; downMs?: number } = {}) {
  const tmp = tempDir(); cleanup = tmp.cleanup;
  const db = join(tmp.dir, 'agg.db');
  let server = await spawnServer(args(db, o.stages)); children.push(server.child);
  const base = { url: server.url };
  const send: Send = (u, b, h) => fetchSend(base.url)(u, b, h);
  const info = await getJson<RoundInfo>(`${base.url}/v1/round`);
  const before = await versionWeights(base.url, 1);
  const devs = Array.from({ length: N }, () => new HttpDevice(info, send, POLICY));
  const xs = devs.map((_, i) => encodedUpdate(info, 9000 + 13 * i).values);
  const s = info.secagg!;
  const restart = async (): Promise<void> => {
    await killed(server.child);
    if (o.downMs) await new Promise((r) => setTimeout(r, o.downMs));
    server = await spawnServer(args(db, o.stages)); children.push(server.child);
    base.url = server.url;
  };
  /** Half the devices send `step` once (each acknowledged), kill -9, restart, then every device sends it. */
  const step = async (name: Kill, url: string, bodies: Uint8Array[]): Promise<Reply[]> => {
    if (at === name) {
      for (let i = 0; i < N / 2; i++) {
        const r = await send(url, bodies[i]!, { 'content-type': WIRE, ...devs[i]!.authHeaders() });
        expect([200, 202]).toContain(r.status);
        if (name === 'advertise') devs[i]!.adopt(r);
      }
      await restart();
    }
    return Promise.all(devs.map((d, i) => d.post(name, url, bodies[i]!)));
  };
  const adv = await Promise.all(devs.map((d) => d.advertiseMessage()));
  const a = await step('advertise', s.urls.advertise, adv);
  a.forEach((r, i) => devs[i]!.adopt(r));
  const sk = a.map((r, i) => devs[i]!.request<ShareKeysRequest>(r, 'share-keys'));
  const shareMsgs = await Promise.all(devs.map((d, i) => d.shareKeysMessage(sk[i]!)));
  const mi = (await step('share-keys', s.urls.shareKeys, shareMsgs)).map((r, i) => devs[i]!.request<MaskedInputRequest>(r, 'masked-input'));
  const ys = await Promise.all(devs.map((d, i) => d.maskedBytes(mi[i]!, xs[i]!)));
  const um = (await step('masked-input', s.urls.maskedInput, ys)).map((r, i) => devs[i]!.request<UnmaskRequest>(r, 'unmasking'));
  const unmaskMsgs = await Promise.all(devs.map((d, i) => d.unmaskMessage(um[i]!)));
  await step('unmask', s.urls.unmask, unmaskMsgs);
  if (at === 'finish') await restart(); // the round is finishing (setImmediate): the kill lands before, during or after
  return { info, before, xs, base, devs };
}

describe('secure aggregation under kill -9', () => {
  it.each(['advertise', 'share-keys', 'masked-input', 'unmask', 'finish'] as const)('kill -9 at %s: the round resumes and publishes the exact release of the sum', async (at) => {
    const { info, before, xs, base } = await roundWithKill(at);
    const next = await waitFor(async () => { const r = await getJson<RoundInfo>(`${base.url}/v1/round`); return r.baseVersion === 2 && r; }, 30_000);
    expect(next.secagg).toBeDefined();
    expectStep(info, before, await versionWeights(base.url, 2), expectedStep(info, xs, info.local.frozen));
    const manifest = await getJson<{ hyperParameters: { federated: Record<string, unknown> } }>(`${base.url}/v1/model/versions/2/manifest.json`);
    expect(manifest.hyperParameters.federated).toMatchObject({ round: info.roundId, clients: N, secagg: { survivors: N, participants: N, cohort: N } });
  }, 90_000);

  it('a share-keys deadline that passed while the server was down fails the round cleanly', async () => {
    const tmp = tempDir(); cleanup = tmp.cleanup;
    const db = join(tmp.dir, 'agg.db');
    const stages = '120,2,60,60';
    const s1 = await spawnServer(args(db, stages)); children.push(s1.child);
    const info = await getJson<RoundInfo>(`${s1.url}/v1/round`);
    const devs = Array.from({ length: N }, () => new HttpDevice(info, fetchSend(s1.url), POLICY));
    const sk = await Promise.all(devs.map((d) => d.advertise()));
    for (let i = 0; i < N / 2; i++) {
      const r = await fetchSend(s1.url)(info.secagg!.urls.shareKeys, await devs[i]!.shareKeysMessage(sk[i]!), { 'content-type': WIRE, ...devs[i]!.authHeaders() });
      expect(r.status).toBe(202);
    }
    await killed(s1.child);
    await new Promise((r) => setTimeout(r, 2500));
    const s2 = await spawnServer(args(db, stages)); children.push(s2.child);
    const next = await waitFor(async () => { const r = await getJson<RoundInfo>(`${s2.url}/v1/round`); return r.roundId !== info.roundId && r; }, 20_000);
    expect(next.baseVersion).toBe(1);
    const late = await fetchSend(s2.url)(info.secagg!.urls.shareKeys, await devs[5]!.shareKeysMessage(sk[5]!), { 'content-type': WIRE, ...devs[5]!.authHeaders() });
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({ type: '/problems/secagg/stage-closed', stage: 'failed' });
    expect((await fetch(`${s2.url}/v1/model/versions/2/manifest.json`)).status).toBe(404);
    await s2.stop();
  }, 60_000);
});
