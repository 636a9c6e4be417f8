/**
 * One contract for every `AggregatorStore`: the embedded SQLite store and the Postgres store (a real server,
 * test/postgres.ts) run the same tests. Where the contract is about several instances (exactly-once under
 * concurrent inserts, the closing lease), two store objects open the same database, as two instances would.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKey } from '../src/signing/key.js';
import { buildVersion } from '../src/publish/publish.js';
import { tinyRandomModel } from '../src/publish/seed.js';
import { PostgresStore } from '../src/store/postgres.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { AggregatorStore, LogEntry, NewModelVersion, RoundRecord, UpdateRecord } from '../src/store/types.js';
import { buildApp } from '../src/app.js';
import { parseServerArgs } from '../src/config.js';
import { tempDir, testConfig } from './helper.js';
import { startPostgres, type TestPostgres } from './postgres.js';

let pgServer: TestPostgres | undefined;
beforeAll(async () => { pgServer = await startPostgres(); }, 120_000);
afterAll(async () => { await pgServer?.stop(); });

/** Opens `n` stores on one fresh database; `close` closes them all. */
type Open = (n: number) => Promise<{ stores: AggregatorStore[]; close: () => Promise<void> }>;
const kinds: [string, Open][] = [
  ['sqlite', async (n) => {
    const { dir, cleanup } = tempDir();
    // One SQLite file is one instance's: the second "instance" is a second connection in the same process.
    const stores = Array.from({ length: n }, () => new SqliteStore(join(dir, 'agg.db'), { writerThread: false }));
    for (const s of stores) await s.init();
    return { stores, close: async () => { for (const s of stores) await s.close(); cleanup(); } };
  }],
  ['postgres', async (n) => {
    const url = await pgServer!.database();
    const stores = Array.from({ length: n }, () => new PostgresStore(url));
    for (const s of stores) await s.init();
    return { stores, close: async () => { for (const s of stores) await s.close(); } };
  }],
];

const key = loadSigningKey(undefined);
const model = tinyRandomModel();
const version = (v: number, prev: LogEntry | null, round: number | null = null): Promise<NewModelVersion> =>
  buildVersion({ ...model, version: v, parent: v === 1 ? null : v - 1, round, now: v, seal: { signer: key, prev } });

function upload(roundId: number, k: string, payload = new Uint8Array([1, 2, 3])): UpdateRecord {
  return { key: k, roundId, receivedAt: 1, weight: 1, norm: 0.5, fingerprint: `fp-${k}`, payload, response: { status: 202, body: { key: k } } };
}

/** `n` stores on one fresh database, seeded with version 1 and a round open on it; closed after `fn`. */
async function withRound(open: Open, n: number, fn: (stores: AggregatorStore[], round: RoundRecord) => Promise<void>): Promise<void> {
  const { stores, close } = await open(n);
  try {
    await stores[0]!.seed(await version(1, null));
    await fn(stores, await stores[0]!.openRound({ baseVersion: 1, openedAt: 0, deadline: 1000 }));
  } finally { await close(); }
}

describe.each(kinds)('AggregatorStore contract: %s', (_name, open) => {
  it('seeds once, and serves the version, its tensors and files', async () => {
    const { stores: [s], close } = await open(1);
    try {
      const v1 = await version(1, null);
      expect(await s!.seed(v1)).toBe(true);
      expect(await s!.seed(await version(1, null))).toBe(false);
      const latest = (await s!.latestVersion())!;
      expect(latest.version).toBe(1);
      expect(latest.manifestSha256).toBe(v1.manifestSha256);
      const w = await s!.getWeights(1);
      for (const [name, data] of Object.entries(v1.weights)) expect(Buffer.from(w[name]!.buffer).equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength))).toBe(true);
      const f = v1.files[0]!;
      expect(Buffer.from((await s!.getFile(f.sha256))!.data).equals(Buffer.from(f.data))).toBe(true);
      expect((await s!.logHead())!.index).toBe(0);
    } finally { await close(); }
  });

  it('keeps one current round, whichever instance opens it', async () => {
    const { stores, close } = await open(2);
    try {
      await stores[0]!.seed(await version(1, null));
      const opened = await Promise.all(Array.from({ length: 6 }, (_, i) => stores[i % 2]!.openRound({ baseVersion: 1, openedAt: i, deadline: 1000 + i })));
      expect(new Set(opened.map((r) => r.id)).size).toBe(1);
      expect((await stores[1]!.currentRound())!.id).toBe(opened[0]!.id);
    } finally { await close(); }
  });

  it('counts each key once under concurrent inserts from two instances, and answers a duplicate with the stored row', async () => {
    await withRound(open, 2, async (stores, round) => {
      // 60 distinct keys, each sent twice, once to each instance, all at once.
      const keys = Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(3, '0')}`);
      const results = await Promise.all(keys.flatMap((k, i) => [stores[i % 2]!.insertUpdate(upload(round.id, k), 1000), stores[(i + 1) % 2]!.insertUpdate(upload(round.id, k), 1000)]));
      expect(results.filter((r) => r.kind === 'inserted')).toHaveLength(60);
      const dups = results.filter((r) => r.kind === 'duplicate');
      expect(dups).toHaveLength(60);
      for (const d of dups) if (d.kind === 'duplicate') expect(d.existing.fingerprint).toBe(`fp-${d.existing.key}`);
      expect((await stores[1]!.getRound(round.id))!.accepted).toBe(60);
      const seen: string[] = [];
      for await (const u of stores[1]!.iterateUpdates(round.id, 7)) seen.push(u.key);
      expect(seen).toEqual(keys); // every key once, in key order, across pages
      expect((await stores[0]!.findUpdate('k007'))!.response).toEqual({ status: 202, body: { key: 'k007' } });
    });
  });

  it('refuses an upload beyond the cap and one to a round that is not open', async () => {
    await withRound(open, 1, async ([s], round) => {
      expect(await s!.insertUpdate(upload(round.id, 'a'), 2)).toEqual({ kind: 'inserted', accepted: 1 });
      expect(await s!.insertUpdate(upload(round.id, 'b'), 2)).toEqual({ kind: 'inserted', accepted: 2 });
      expect(await s!.insertUpdate(upload(round.id, 'c'), 2)).toEqual({ kind: 'full' });
      expect(await s!.insertUpdate(upload(round.id + 7, 'd'), 2)).toMatchObject({ kind: 'not_open' });
      expect(await s!.beginClose(round.id, { owner: 'a', ms: 60_000 })).toBe(true);
      expect(await s!.insertUpdate(upload(round.id, 'e'), 10)).toMatchObject({ kind: 'not_open', round: { id: round.id, status: 'closing' } });
      expect((await s!.getRound(round.id))!.accepted).toBe(2);
    });
  });

  it('lets one instance close a round under a lease, another take over only once it expired, and fences the first', async () => {
    await withRound(open, 2, async ([a, b], round) => {
      await a!.insertUpdate(upload(round.id, 'x', new Uint8Array(100).fill(7)), 10);
      expect(await a!.beginClose(round.id, { owner: 'A', ms: 400 })).toBe(true);
      expect(await b!.beginClose(round.id, { owner: 'B', ms: 400 })).toBe(false);
      expect(await b!.leaseExpired(round.id)).toBe(false);
      expect(await a!.renewLease(round.id, { owner: 'A', ms: 400 })).toBe(true);
      expect((await b!.getRound(round.id))!.lease?.owner).toBe('A');
      await new Promise((r) => setTimeout(r, 600)); // A stops renewing (it died, or paused)
      expect(await b!.leaseExpired(round.id)).toBe(true);
      expect(await b!.beginClose(round.id, { owner: 'B', ms: 60_000 })).toBe(true);
      expect(await a!.renewLease(round.id, { owner: 'A', ms: 400 })).toBe(false);
      const next = { baseVersion: 2, openedAt: 1, deadline: 2 };
      const v2 = await version(2, (await a!.logHead())!, round.id);
      // A woke up: its commit is refused and changes nothing.
      await expect(a!.commitClose({ roundId: round.id, status: 'published', version: v2, closedAt: 1, next, owner: 'A' })).rejects.toThrow(/lease lost/);
      expect(await b!.getVersion(2)).toBeUndefined();
      const opened = await b!.commitClose({ roundId: round.id, status: 'published', version: v2, closedAt: 1, next, owner: 'B' });
      expect(opened).toMatchObject({ baseVersion: 2, status: 'open' });
      expect(await a!.getRound(round.id)).toMatchObject({ status: 'published', resultVersion: 2 });
      expect((await a!.getRound(round.id))!.lease).toBeUndefined();
      // Closed once: neither instance can close it again, and its payloads were dropped.
      expect(await a!.beginClose(round.id, { owner: 'A', ms: 400 })).toBe(false);
      await expect(b!.commitClose({ roundId: round.id, status: 'published', version: v2, closedAt: 1, next, owner: 'B' })).rejects.toThrow(/not closing/);
      expect((await a!.findUpdate('x'))!.payload.byteLength).toBe(0);
    });
  });

  it('stores secure-aggregation messages once, only in their stage', async () => {
    await withRound(open, 2, async ([a, b], round) => {
      const row = await a!.createSecAggRound(round.id, '{"p":1}', new Uint8Array(32).fill(3), 500);
      expect(await b!.createSecAggRound(round.id, '{"p":2}', new Uint8Array(32), 9)).toMatchObject({ params: '{"p":1}', stage: 'advertise-keys' });
      expect(row.stage).toBe('advertise-keys');
      const msg = { kind: 'devices' as const, roundId: round.id, deviceId: 'd1', body: '{"pk":1}', fingerprint: 'f1', receivedAt: 5 };
      const both = await Promise.all([a!.secaggWrite(msg), b!.secaggWrite({ ...msg, fingerprint: 'f2' })]);
      expect(both.map((r) => r.kind).sort()).toEqual(['duplicate', 'inserted']);
      expect(await a!.secaggWrite({ ...msg, kind: 'masked', deviceId: 'd2', y: new Uint8Array([1]) })).toEqual({ kind: 'closed', stage: 'advertise-keys' });
      expect(await b!.secaggAdvance(round.id, 'advertise-keys', 'share-keys', 900, { participants: ['d1'], k: 2, t: 2 })).toBe(true);
      expect(await a!.secaggAdvance(round.id, 'advertise-keys', 'share-keys', 900, {})).toBe(false);
      expect(await a!.secaggWrite({ ...msg, deviceId: 'd3' })).toEqual({ kind: 'closed', stage: 'share-keys' });
      const snap = (await b!.secaggSnapshot(round.id))!;
      expect(snap.round).toMatchObject({ stage: 'share-keys', participants: '["d1"]', k: 2, t: 2, deadline: 900 });
      expect(snap.devices.map((d) => d.device_id)).toEqual(['d1']);
      expect(await a!.secaggCounts(round.id)).toEqual({ devices: 1, shares: 0, masked: 0, unmask: 0 });
    });
  });
});

describe('choosing the store', () => {
  it('PERCH_AGG_DATABASE_URL selects Postgres, with an instance id of host and process; anything but a postgres URL is refused', async () => {
    const url = await pgServer!.database();
    const cfg = parseServerArgs(['--rate-max', '1000'], { PERCH_AGG_DATABASE_URL: url });
    expect(cfg.databaseUrl).toBe(url);
    expect(cfg.instance?.id).toBe(`${hostname()}-${process.pid}`);
    expect(parseServerArgs([], {}).databaseUrl).toBeUndefined();
    expect(() => parseServerArgs(['--database-url', 'mysql://x/y'])).toThrow(/postgres/);
    expect(() => parseServerArgs(['--database-url', url, '--lease-ms', '5'])).toThrow(/lease-ms/);
    const tmp = tempDir();
    const app = await buildApp({ config: { ...testConfig(tmp.dir), databaseUrl: url } });
    try {
      expect(app.store).toBeInstanceOf(PostgresStore);
      const round = (await app.inject({ method: 'GET', url: '/v1/round' })).json() as { roundId: number; baseVersion: number };
      expect(round.baseVersion).toBe(1);
      const c = await pgServer!.client(url);
      try {
        expect((await c.query("SELECT id FROM rounds WHERE status = 'open'")).rows).toEqual([{ id: round.roundId }]);
      } finally { await c.end(); }
    } finally { await app.close(); tmp.cleanup(); }
  });
});
