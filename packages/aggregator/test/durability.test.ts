/**
 * kill -9 durability, against the real server in a child process on 127.0.0.1: every upload answered 202
 * before the kill is found after a restart on the same database file, the open round resumes, and it still
 * closes and publishes correctly.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { childProcesses, killed, roundAt, spawnServer, tempDir, updateFor, uploadTo, waitFor } from './helper.js';
import type { RoundInfo } from '../src/schemas/round.js';
import { CHECKPOINT_DOMAIN, extendsTo, manifestPosition, MANIFEST_DOMAIN, verifySigned, type Checkpoint, type Manifest } from '@perch/model/export';

const ARGS = ['--min-clients', '3', '--target-clients', '60', '--round-seconds', '600', '--noise', '0', '--rate-max', '1000000'];
let cleanup: (() => void) | undefined;
const { children, reap } = childProcesses();
afterEach(() => { reap(); cleanup?.(); });

const getRound = roundAt;
const upload = uploadTo;

/**
 * The version, its log entry and the round's close commit together: after the restart version 2 is signed with the
 * same key (the default key file beside the database), is log entry 1 right after version 1, and the signed
 * checkpoint is at it, with exactly the two leaves.
 */
async function expectSignedChain(url: string, publicKey: string): Promise<void> {
  const get = async (p: string) => (await fetch(`${url}${p}`)).json();
  const [m1, m2] = [await get('/v1/model/versions/1/manifest.json'), await get('/v1/model/versions/2/manifest.json')] as Manifest[];
  for (const m of [m1!, m2!]) { await verifySigned(MANIFEST_DOMAIN, m, [publicKey]); await manifestPosition(m); }
  expect(m2!.log).toMatchObject({ index: 1, prev: m1!.log!.head });
  const cp = (await get('/v1/log/checkpoint')) as Checkpoint;
  await verifySigned(CHECKPOINT_DOMAIN, cp, [publicKey]);
  expect(cp).toMatchObject({ index: 1, head: m2!.log!.head });
  await extendsTo({ index: 0, head: m1!.log!.head }, cp, async (from, to) => ((await get(`/v1/log/leaves?from=${from}&to=${to}`)) as { leaves: string[] }).leaves);
}

// Both commit paths: in the event-loop thread (PERCH_AGG_WRITER_THREAD=0) and in the writer thread (default).
describe.each([['0'], ['1']])('durability under kill -9 (PERCH_AGG_WRITER_THREAD=%s)', (flag) => {
  const saved = process.env.PERCH_AGG_WRITER_THREAD;
  beforeAll(() => { process.env.PERCH_AGG_WRITER_THREAD = flag; });
  afterAll(() => { if (saved === undefined) delete process.env.PERCH_AGG_WRITER_THREAD; else process.env.PERCH_AGG_WRITER_THREAD = saved; });

  it('keeps every acknowledged upload, resumes the round, and closes it correctly', async () => {
    const tmp = tempDir(); cleanup = tmp.cleanup;
    const db = join(tmp.dir, 'agg.db');
    const s1 = await spawnServer(['--db', db, ...ARGS]); children.push(s1.child);
    const info = await getRound(s1.url);
    const updates = Array.from({ length: 50 }, (_, i) => updateFor(info, { seed: 100 + i }));
    const acked: number[] = [];
    // 20 sequential uploads, all acknowledged...
    for (let i = 0; i < 20; i++) {
      const r = await upload(s1.url, info.roundId, updates[i]!.bytes);
      expect(r.status).toBe(202);
      acked.push(i);
    }
    // ...then 30 concurrent ones, killed with SIGKILL while in flight.
    const inflight = updates.slice(20).map((u, k) => upload(s1.url, info.roundId, u.bytes).then(
      (r) => { if (r.status === 202) acked.push(20 + k); }, () => { /* connection reset by the kill */ }));
    await waitFor(async () => acked.length >= 25, 20_000);
    await killed(s1.child);
    await Promise.all(inflight);
    expect(acked.length).toBeGreaterThanOrEqual(25);

    const s2 = await spawnServer(['--db', db, ...ARGS]); children.push(s2.child);
    const resumed = await getRound(s2.url);
    expect(resumed.roundId).toBe(info.roundId);
    expect(resumed.baseVersion).toBe(info.baseVersion);
    expect(resumed.accepted).toBeGreaterThanOrEqual(acked.length);
    // Each acknowledged upload is in the database: re-sending it is answered as a replay, not stored again.
    for (const i of acked) {
      const r = await upload(s2.url, info.roundId, updates[i]!.bytes);
      expect(r.status).toBe(202);
      expect(r.headers.get('idempotent-replayed')).toBe('true');
    }
    expect((await getRound(s2.url)).accepted).toBe(resumed.accepted);
    // The round continues: fill it to the target; it closes and publishes version 2.
    for (let i = 0; (await getRound(s2.url)).roundId === info.roundId && i < 60; i++) {
      const r = await upload(s2.url, info.roundId, updateFor(info, { seed: 1000 + i }).bytes);
      expect([202, 410]).toContain(r.status);
    }
    const next = await waitFor(async () => { const r = await getRound(s2.url); return r.roundId !== info.roundId && r; });
    expect(next.baseVersion).toBe(2);
    const manifest = (await (await fetch(`${s2.url}/v1/model/manifest.json`)).json()) as { modelVersion: string; hyperParameters: { federated: { round: number } } };
    expect(manifest).toMatchObject({ modelVersion: '2', hyperParameters: { federated: { round: info.roundId } } });
    expect(s2.modelKey).toEqual(s1.modelKey);
    await expectSignedChain(s2.url, s2.modelKey.publicKey);
    await s2.stop();
  });

  it('finishes a close interrupted by kill -9 after the last upload', async () => {
    const tmp = tempDir(); cleanup = tmp.cleanup;
    const db = join(tmp.dir, 'agg.db');
    const args = ['--db', db, '--min-clients', '3', '--target-clients', '3', '--round-seconds', '600', '--noise', '0'];
    const s1 = await spawnServer(args); children.push(s1.child);
    const info = await getRound(s1.url);
    for (let i = 0; i < 3; i++) expect((await upload(s1.url, info.roundId, updateFor(info, { seed: i + 1 }).bytes)).status).toBe(202);
    await killed(s1.child); // the close was scheduled with setImmediate: this lands before, during or after it
    const s2 = await spawnServer(args); children.push(s2.child);
    const next = await waitFor(async () => { const r = await getRound(s2.url); return r.roundId !== info.roundId && r; });
    expect(next.baseVersion).toBe(2);
    const health = (await (await fetch(`${s2.url}/health`)).json()) as { modelVersion: number };
    expect(health.modelVersion).toBe(2);
    await expectSignedChain(s2.url, s1.modelKey.publicKey);
    await s2.stop();
  });
});
