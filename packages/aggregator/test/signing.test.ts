/**
 * Signed versions and the version log: every published manifest (the seed and each round's) is signed with the
 * aggregator's Ed25519 key and chained into the log; the checkpoint and leaf endpoints let a device check that a
 * version extends what it accepted before; the key file is created once (0600) and reused; a restart with another
 * key signs new versions with it while old versions keep their signatures (key rotation).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import {
  CHECKPOINT_DOMAIN, EMPTY_HEAD, extendsTo, leafHash, loadExport, manifestPosition, MANIFEST_DOMAIN, SignatureError, verifySigned,
  type Checkpoint, type Manifest,
} from '@perch/model/export';
import { buildApp } from '../src/app.js';
import { ensureKeyFile, loadSigningKey, readKeyFile } from '../src/signing/key.js';
import { buildVersion } from '../src/publish/publish.js';
import { tinyRandomModel } from '../src/publish/seed.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { PKG_ROOT, REPO_ROOT, post, roundInfo, spawnServer, tempDir, testConfig, updateFor, waitFor } from './helper.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

const manifestOf = async (app: FastifyInstance, v: number): Promise<{ m: Manifest; bytes: Buffer }> => {
  const r = await app.inject({ method: 'GET', url: `/v1/model/versions/${v}/manifest.json` });
  return { m: r.json() as Manifest, bytes: r.rawPayload };
};
const leaves = (app: FastifyInstance) => async (from: number, to: number): Promise<string[]> =>
  ((await app.inject({ method: 'GET', url: `/v1/log/leaves?from=${from}&to=${to}` })).json() as { leaves: string[] }).leaves;

/** Fills the open round (3 updates, target 3) and waits for the version it publishes. */
async function publishNext(app: FastifyInstance): Promise<number> {
  const r = await roundInfo(app);
  for (let i = 0; i < 3; i++) expect((await post(app, r.roundId, updateFor(r, { seed: r.roundId * 10 + i }).bytes)).statusCode).toBe(202);
  return (await waitFor(async () => { const n = await roundInfo(app); return n.roundId !== r.roundId && n; })).baseVersion;
}

async function appOn(dir: string, keyFile?: string): Promise<FastifyInstance> {
  const config = testConfig(dir, { minClients: 3, targetClients: 3 });
  const app = await buildApp({ config, ...(keyFile ? { signingKey: loadSigningKey(keyFile) } : {}) });
  return app;
}

describe('signed versions in an append-only log', () => {
  it('signs and chains the seed and every published version; the checkpoint and leaves prove consistency', async () => {
    const { dir, cleanup } = tempDir(); cleanups.push(cleanup);
    const app = await appOn(dir); cleanups.push(() => app.close());
    const key = app.signingKey;
    expect(key.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key.keyId).toBe(createHash('sha256').update(Buffer.from(key.publicKey, 'base64url')).digest('hex').slice(0, 16));

    const v1 = await manifestOf(app, 1);
    expect(await verifySigned(MANIFEST_DOMAIN, v1.m, [key.publicKey])).toBe(key.keyId);
    expect(await manifestPosition(v1.m)).toMatchObject({ index: 0, prev: EMPTY_HEAD });
    expect(await publishNext(app)).toBe(2);
    expect(await publishNext(app)).toBe(3);
    const v2 = await manifestOf(app, 2), v3 = await manifestOf(app, 3);
    for (const v of [v2, v3]) expect(await verifySigned(MANIFEST_DOMAIN, v.m, [key.publicKey])).toBe(key.keyId);
    expect(v2.m.log).toMatchObject({ index: 1, prev: v1.m.log!.head });
    expect(v3.m.log).toMatchObject({ index: 2, prev: v2.m.log!.head });
    for (const v of [v1, v2, v3]) await manifestPosition(v.m);
    // The current manifest and its ETag are the signed bytes; the files still verify with the loader.
    const cur = await app.inject({ method: 'GET', url: '/v1/model/manifest.json' });
    expect(cur.rawPayload.equals(v3.bytes)).toBe(true);
    await loadExport(async (p) => new Uint8Array((await app.inject({ method: 'GET', url: `/v1/model/versions/3/${p}` })).rawPayload), new Uint8Array(v3.bytes));

    const cpRes = await app.inject({ method: 'GET', url: '/v1/log/checkpoint' });
    expect(cpRes.statusCode).toBe(200);
    expect(cpRes.headers['cache-control']).toBe('no-cache');
    const cp = cpRes.json() as Checkpoint;
    expect(cp).toMatchObject({ format: 'perch-log-checkpoint', index: 2, head: v3.m.log!.head });
    expect(await verifySigned(CHECKPOINT_DOMAIN, cp, [key.publicKey])).toBe(key.keyId);
    // A manifest signature never passes as a checkpoint's and the other way round.
    await expect(verifySigned(MANIFEST_DOMAIN, cp, [key.publicKey])).rejects.toBeInstanceOf(SignatureError);

    const page = await app.inject({ method: 'GET', url: '/v1/log/leaves?from=0&to=3' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(page.json()).toEqual({ from: 0, to: 3, leaves: [await leafHash(v1.m), await leafHash(v2.m), await leafHash(v3.m)] });
    await extendsTo({ index: 0, head: v1.m.log!.head }, cp, leaves(app));
    await extendsTo({ index: -1, head: EMPTY_HEAD }, cp, leaves(app));
  });

  it('answers a bad leaf range with problem+json', async () => {
    const { dir, cleanup } = tempDir(); cleanups.push(cleanup);
    const app = await appOn(dir); cleanups.push(() => app.close());
    for (const q of ['', '?from=0', '?to=1', '?from=a&to=1', '?from=-1&to=1', '?from=0&to=0', '?from=1&to=1', '?from=0&to=2', '?from=2&to=1', '?from=0.5&to=1']) {
      const r = await app.inject({ method: 'GET', url: `/v1/log/leaves${q}` });
      expect(r.statusCode, q).toBe(400);
      expect(r.headers['content-type'], q).toMatch(/^application\/problem\+json/);
      expect(r.json(), q).toMatchObject({ status: 400, title: expect.any(String), detail: expect.any(String) });
    }
    expect((await app.inject({ method: 'GET', url: '/v1/log/leaves?from=0&to=2' })).json()).toMatchObject({ type: '/problems/log-range', size: 1 });
    expect((await app.inject({ method: 'GET', url: '/v1/log/leaves?from=0&to=1' })).statusCode).toBe(200);
  });

  it('creates the key file once (0600, the documented fields) and reuses it; the CLI prints the public key', async () => {
    const { dir, cleanup } = tempDir(); cleanups.push(cleanup);
    const file = join(dir, 'k.json');
    const cli = (): { keyId: string; publicKey: string; created: boolean } => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(PKG_ROOT, 'src', 'keys.ts'), file], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim());
    };
    const first = cli();
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const j = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(j).sort()).toEqual(['alg', 'keyId', 'privateKey', 'publicKey']);
    expect(j).toMatchObject({ alg: 'Ed25519', keyId: first.keyId, publicKey: first.publicKey });
    expect(cli()).toEqual({ ...first, created: false, file });
    expect(ensureKeyFile(file).key.publicKey).toBe(first.publicKey);
    // The default for a database is <db>.signing-key.json, and the server prints the key it signs with.
    const s = await spawnServer(['--db', join(dir, 'agg.db'), '--signing-key', file]);
    cleanups.push(() => s.stop());
    expect(s.modelKey).toEqual({ keyId: first.keyId, publicKey: first.publicKey });
    const m = (await (await fetch(`${s.url}/v1/model/manifest.json`)).json()) as Manifest;
    expect(await verifySigned(MANIFEST_DOMAIN, m, [first.publicKey])).toBe(first.keyId);
    const app = await appOn(dir); cleanups.push(() => app.close());
    expect(statSync(join(dir, 'agg.db.signing-key.json')).mode & 0o777).toBe(0o600);
    expect(readKeyFile(join(dir, 'agg.db.signing-key.json')).publicKey).toBe(app.signingKey.publicKey);
    // A file whose public key is not its private key's is refused at start-up.
    const other = JSON.parse(readFileSync(join(dir, 'agg.db.signing-key.json'), 'utf8'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...other, publicKey: first.publicKey }));
    expect(() => readKeyFile(bad)).toThrow(/does not belong/);
  });

  it('key rotation: a restart with another key signs new versions with it; old versions keep their signatures; the chain goes on', async () => {
    const { dir, cleanup } = tempDir(); cleanups.push(cleanup);
    const fileA = join(dir, 'a.json'), fileB = join(dir, 'b.json');
    const a = await appOn(dir, fileA);
    const keyA = a.signingKey;
    expect(await publishNext(a)).toBe(2);
    const before = [(await manifestOf(a, 1)).bytes, (await manifestOf(a, 2)).bytes];
    await a.close();

    const b = await appOn(dir, fileB); cleanups.push(() => b.close());
    const keyB = b.signingKey;
    expect(keyB.keyId).not.toBe(keyA.keyId);
    expect(await publishNext(b)).toBe(3);
    const [m1, m2, m3] = [await manifestOf(b, 1), await manifestOf(b, 2), await manifestOf(b, 3)];
    // Immutable: the old versions are byte for byte what key A signed.
    expect(m1.bytes.equals(before[0]!) && m2.bytes.equals(before[1]!)).toBe(true);
    expect(await verifySigned(MANIFEST_DOMAIN, m2.m, [keyA.publicKey])).toBe(keyA.keyId);
    expect(await verifySigned(MANIFEST_DOMAIN, m3.m, [keyB.publicKey])).toBe(keyB.keyId);
    expect(m3.m.log).toMatchObject({ index: 2, prev: m2.m.log!.head });
    const cp = (await b.inject({ method: 'GET', url: '/v1/log/checkpoint' })).json() as Checkpoint;
    expect(cp.signature.keyId).toBe(keyB.keyId);
    // Both keys pinned (the rotation's middle step): every version is accepted. Only the new key: version 2 is refused.
    for (const m of [m1, m2, m3]) await verifySigned(MANIFEST_DOMAIN, m.m, [keyA.publicKey, keyB.publicKey]);
    await expect(verifySigned(MANIFEST_DOMAIN, m2.m, [keyB.publicKey])).rejects.toMatchObject({ code: 'unknown-key' });
    await extendsTo({ index: 1, head: m2.m.log!.head }, cp, leaves(b));
  });

  it('a version whose log entry does not follow the head is not stored, and nothing of its close commits', async () => {
    const { dir, cleanup } = tempDir(); cleanups.push(cleanup);
    const store = new SqliteStore(join(dir, 'agg.db'), { writerThread: false });
    await store.init(); cleanups.push(() => store.close());
    const key = loadSigningKey(undefined);
    const model = tinyRandomModel();
    await store.seed(await buildVersion({ ...model, version: 1, parent: null, round: null, now: 0, seal: { signer: key, prev: null } }));
    const round = await store.openRound({ baseVersion: 1, openedAt: 0, deadline: 1 });
    expect(await store.beginClose(round.id, { owner: 'test', ms: 60_000 })).toBe(true);
    const next = { baseVersion: 2, openedAt: 1, deadline: 2 };
    // Sealed as if the log were empty (a stale head): index 0 again.
    const stale = await buildVersion({ ...model, version: 2, parent: 1, round: round.id, now: 1, seal: { signer: key, prev: null } });
    await expect(store.commitClose({ roundId: round.id, status: 'published', version: stale, closedAt: 1, next })).rejects.toThrow(/does not follow/);
    expect(await store.getVersion(2)).toBeUndefined();
    expect((await store.getRound(round.id))!.status).toBe('closing');
    expect((await store.logHead())!.index).toBe(0);
    const good = await buildVersion({ ...model, version: 2, parent: 1, round: round.id, now: 1, seal: { signer: key, prev: (await store.logHead())! } });
    await store.commitClose({ roundId: round.id, status: 'published', version: good, closedAt: 1, next });
    expect(await store.logHead()).toEqual(good.log);
    expect(await store.logLeaves(0, 5)).toHaveLength(2);
  });
});
