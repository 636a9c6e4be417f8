/**
 * Several aggregator instances on one Postgres database (a real server, test/postgres.ts), each a real server
 * process on 127.0.0.1, with uploads spread across them; faults by kill -9. What must hold: no acknowledged
 * upload is lost, none is counted twice, the round closes exactly once, and the published version is the one a
 * single instance publishes from the same uploads.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureKeyFile } from '../src/signing/key.js';
import type { RoundInfo } from '../src/schemas/round.js';
import type { DevicePolicy, MaskedInputRequest, ShareKeysRequest, UnmaskRequest } from '@perch/learn/secagg';
import { childProcesses, killed, roundAt, spawnServer, tempDir, updateFor, uploadTo, waitFor } from './helper.js';
import { encodedUpdate, expectedStep, expectStep, fetchSend, HttpDevice, versionWeights, type Send } from './secagg-helper.js';
import { startPostgres, type TestPostgres } from './postgres.js';

const ROUND = ['--min-clients', '2', '--target-clients', '24', '--round-seconds', '600', '--noise', '0', '--server-opt', 'sgd', '--server-lr', '1', '--rate-max', '1000000'];
let pgServer: TestPostgres;
let cleanup: (() => void) | undefined;
const { children, reap } = childProcesses();
beforeAll(async () => { pgServer = await startPostgres(); }, 120_000);
afterAll(async () => { await pgServer?.stop(); });
afterEach(() => { reap(); cleanup?.(); });
const getRound = roundAt;
const upload = uploadTo;

/** `n` instances on `url`, sharing one signing key. */
async function instances(url: string, n: number, extra: string[] = []) {
  const tmp = tempDir(); cleanup = tmp.cleanup;
  const keyFile = join(tmp.dir, 'signing-key.json');
  ensureKeyFile(keyFile);
  const out = [];
  for (let i = 0; i < n; i++) {
    const s = await spawnServer(['--database-url', url, '--signing-key', keyFile, '--instance-id', `agg-${i}`, '--lease-ms', '1000', '--poll-ms', '100', ...ROUND, ...extra]);
    children.push(s.child);
    out.push({ ...s, id: `agg-${i}` });
  }
  return out;
}

/** Uploads `bytes` to the first live instance from `start` on, retrying the next one when a connection fails. */
async function uploadAnywhere(urls: string[], start: number, roundId: number, bytes: Uint8Array): Promise<number> {
  for (let k = 0; k < urls.length * 3; k++) {
    try { return (await upload(urls[(start + k) % urls.length]!, roundId, bytes)).status; } catch { /* that instance is down: the next */ }
  }
  throw new Error('no instance answered');
}

/** What the database holds of round `id`, and the published version's tensors. */
async function databaseState(url: string, roundId: number) {
  const c = await pgServer.client(url);
  try {
    const round = (await c.query('SELECT status, accepted, result_version FROM rounds WHERE id = $1', [roundId])).rows[0] as { status: string; accepted: number; result_version: number | null };
    const keys = (await c.query('SELECT key, count(*)::int AS n FROM updates WHERE round_id = $1 GROUP BY key', [roundId])).rows as { key: string; n: number }[];
    const versions = (await c.query('SELECT version FROM versions ORDER BY version')).rows.map((r: { version: number }) => r.version);
    const published = (await c.query("SELECT count(*)::int AS n FROM rounds WHERE status = 'published'")).rows[0].n as number;
    const tensors = Object.fromEntries(((await c.query('SELECT name, data FROM tensors WHERE version = 2 ORDER BY name')).rows as { name: string; data: Buffer }[]).map((r) => [r.name, r.data.toString('base64')]));
    return { round, keys, versions, published, tensors };
  } finally { await c.end(); }
}

describe('three aggregator instances on one Postgres database', () => {
  it('kill -9 of one instance mid-round loses no acknowledged upload, counts none twice, and publishes what one instance would', async () => {
    const url = await pgServer.database();
    const aggs = await instances(url, 3);
    const info = await getRound(aggs[0]!.url);
    for (const a of aggs.slice(1)) expect((await getRound(a.url)).roundId).toBe(info.roundId);
    const updates = Array.from({ length: 24 }, (_, i) => updateFor(info, { seed: 300 + i }));
    const urls = aggs.map((a) => a.url);
    // 10 uploads spread over the three, then instance 1 dies with uploads in flight to every instance.
    for (let i = 0; i < 10; i++) expect(await upload(urls[i % 3]!, info.roundId, updates[i]!.bytes).then((r) => r.status)).toBe(202);
    const inflight = updates.slice(10, 16).map((u, k) => upload(urls[k % 3]!, info.roundId, u.bytes).then((r) => r.status, () => 0));
    await killed(aggs[1]!.child);
    const statuses = await Promise.all(inflight);
    // Whatever was not acknowledged is retried (same bytes, same key) on a live instance, as the SDK retries.
    for (let i = 10; i < 24; i++) {
      if (i < 16 && statuses[i - 10] === 202) continue;
      expect(await uploadAnywhere(urls, i, info.roundId, updates[i]!.bytes)).toBe(202);
    }
    // Acknowledged ones re-sent anywhere are replays: counted once.
    for (const i of [0, 1, 2]) {
      const r = await upload(urls[i % 2 === 0 ? 2 : 0]!, info.roundId, updates[i]!.bytes); // the live ones
      expect(r.status).toBe(202);
      expect(r.headers.get('idempotent-replayed')).toBe('true');
    }
    const next = await waitFor(async () => { const r = await getRound(aggs[2]!.url); return r.roundId !== info.roundId && r; }, 20_000);
    expect(next.baseVersion).toBe(2);
    expect((await getRound(aggs[0]!.url)).roundId).toBe(next.roundId);
    const multi = await databaseState(url, info.roundId);
    expect(multi.round).toEqual({ status: 'published', accepted: 24, result_version: 2 });
    expect(multi.keys).toHaveLength(24);
    expect(multi.keys.every((k) => k.n === 1)).toBe(true);
    expect(multi.versions).toEqual([1, 2]);
    expect(multi.published).toBe(1);

    // The same uploads, in reverse order, to one instance on a fresh database: the same tensors, byte for byte.
    for (const a of aggs) await (a.child.exitCode === null && a.child.signalCode === null ? a.stop() : Promise.resolve());
    const url1 = await pgServer.database();
    const [solo] = await instances(url1, 1);
    for (const u of updates.slice().reverse()) expect((await upload(solo!.url, info.roundId, u.bytes)).status).toBe(202);
    await waitFor(async () => (await getRound(solo!.url)).roundId !== info.roundId, 20_000);
    const single = await databaseState(url1, info.roundId);
    expect(Object.keys(single.tensors).length).toBeGreaterThan(0);
    expect(multi.tensors).toEqual(single.tensors);
    await solo!.stop();
  }, 120_000);

  it('kill -9 of the instance holding the closing lease: another takes the round over and it is published once', async () => {
    const url = await pgServer.database();
    // Each closer holds its lease 3 s before aggregating, so the test can find it holding the lease and kill it.
    const aggs = await instances(url, 3, ['--hold-lease-ms', '3000']);
    const info = await getRound(aggs[0]!.url);
    const urls = aggs.map((a) => a.url);
    const updates = Array.from({ length: 24 }, (_, i) => updateFor(info, { seed: 600 + i }));
    for (let i = 0; i < 24; i++) expect(await upload(urls[i % 3]!, info.roundId, updates[i]!.bytes).then((r) => r.status)).toBe(202);
    const c = await pgServer.client(url);
    try {
      const holder = await waitFor(async () => ((await c.query("SELECT lease_owner FROM rounds WHERE id = $1 AND status = 'closing'", [info.roundId])).rows[0] as { lease_owner: string } | undefined)?.lease_owner);
      const victim = aggs.find((a) => a.id === holder)!;
      await killed(victim.child);
      const killedAt = Date.now();
      // Another instance takes the lease once the dead one's expires (1 s), then closes the round.
      const taker = await waitFor(async () => {
        const o = ((await c.query('SELECT lease_owner FROM rounds WHERE id = $1', [info.roundId])).rows[0] as { lease_owner: string | null }).lease_owner;
        return o !== null && o !== holder && o;
      }, 10_000);
      expect(Date.now() - killedAt).toBeLessThan(5_000);
      expect(aggs.map((a) => a.id)).toContain(taker);
      const live = aggs.find((a) => a.id !== holder)!;
      const next = await waitFor(async () => { const r = await getRound(live.url); return r.roundId !== info.roundId && r; }, 20_000);
      expect(next.baseVersion).toBe(2);
    } finally { await c.end(); }
    const state = await databaseState(url, info.roundId);
    expect(state.round).toEqual({ status: 'published', accepted: 24, result_version: 2 });
    expect(state.keys.every((k) => k.n === 1)).toBe(true);
    expect(state.versions).toEqual([1, 2]);
    expect(state.published).toBe(1);
  }, 120_000);

  it('a secure-aggregation round with devices moving between instances, one killed after masking: the exact release of the sum', async () => {
    const url = await pgServer.database();
    const N = 6;
    const policy: DevicePolicy = { minCohort: 4, minDegree: 4, minThreshold: 3 };
    const aggs = await instances(url, 3, [
      '--min-clients', '4', '--target-clients', String(N), '--close-at-target', 'on', '--secagg', 'on', '--secagg-k', '4', '--secagg-t', '3',
      '--secagg-min-cohort', '4', '--secagg-max-cohort', '8', '--secagg-stage-seconds', '60,30,30,30', '--secagg-long-poll-ms', '200', '--ddg-sigma', '0.001',
    ]);
    const urls = aggs.map((a) => a.url);
    const info = await (await fetch(`${urls[0]}/v1/round`)).json() as RoundInfo;
    expect(info.secagg).toBeDefined();
    const base = urls[0]!;
    const before = await versionWeights(base, 1);
    // Each device sends each message to the next instance in turn (re-sends too), skipping one that is down.
    const sendFrom = (start: number): Send => {
      let n = start;
      return async (u, b, h) => {
        for (let k = 0; k < 6; k++) {
          try { return await fetchSend(urls[n++ % urls.length]!)(u, b, h); } catch { /* down: the next one */ }
        }
        throw new Error('no instance answered');
      };
    };
    const devs = Array.from({ length: N }, (_, i) => new HttpDevice(info, sendFrom(i), policy));
    const xs = devs.map((_, i) => encodedUpdate(info, 7000 + 11 * i).values);
    const sk = await Promise.all(devs.map((d) => d.advertise()));
    const mi: MaskedInputRequest[] = await Promise.all(devs.map((d, i) => d.shareKeys(sk[i] as ShareKeysRequest)));
    const um: UnmaskRequest[] = await Promise.all(devs.map((d, i) => d.maskedInput(mi[i]!, xs[i]!)));
    await killed(aggs[2]!.child); // after masking: the others finish the round
    await Promise.all(devs.map((d, i) => d.unmask(um[i]!)));
    const next = await waitFor(async () => { const r = await getRound(base); return r.baseVersion === 2 && r; }, 30_000);
    expect(next.roundId).toBe(info.roundId + 1);
    const after = await versionWeights(base, 2);
    expectStep(info, before, after, expectedStep(info, xs, info.local.frozen));
    const state = await databaseState(url, info.roundId);
    expect(state.versions).toEqual([1, 2]);
    expect(state.published).toBe(1);
  }, 120_000);
});
