// Signed model versions against a malicious aggregator, in Chromium: the real aggregator on 127.0.0.1 signs every
// version and keeps the version log; the recording proxy in front of it rewrites what it serves (the instrumented,
// dishonest server, which holds the signing key). Devices pin the aggregator's key (`modelKeys`). In every case the
// device refuses, keeps the model it had, and `audit().model.error` says why:
//   (f) an unsigned manifest, one re-signed with another key, one whose signature claims the pinned key's id;
//   (e) a replayed old version (a lower log index), also after `forget()`, which keeps the device's checkpoint;
//   (d) a version tailored for one device (validly signed, its chain diverges): refused at once when a witness
//       (the shop's own origin, serving a copy of the aggregator's signed checkpoint) has not seen it; without a
//       witness it is accepted, and detected at the next honest version;
//   federated training needs pinned keys, and a refused base model stops the round before training;
//   key rotation: both keys pinned → the new key's version is accepted; only the new key → an old-signed one refused.
// And where WebCrypto has no Ed25519, the on-demand noble fallback gives the same answers.
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { makeUpdate } from '@perch/learn/client';
import type { Manifest } from '@perch/model/export';
import { sealManifest, type Checkpoint, type Signer, base64url, keyIdOf } from '@perch/model/export';
import { requireLayout } from '@perch/learn/update';
import type { AuditReport } from '@perch/sdk';
import { kill9, startAggregator, waitFor, type Recorded } from './support/aggregator.js';
import { consentAll, historyFor, openDevice, type Device } from './support/device.js';
import { federatedSuite } from './support/suite.js';
import { Rng } from '@perch/model/rng';

const ARGS = ['--min-clients', '1', '--target-clients', '1', '--close-at-target', 'on', '--round-seconds', '600', '--sampling', '1', '--noise', '5', '--clip', '1'];
const devices: Device[] = [];
const env = federatedSuite(ARGS, devices);
test.describe.configure({ mode: 'serial' });

const agg = (path: string): Promise<Response> => fetch(`${env.agg.url}${path}`);
const health = async (): Promise<number> => ((await (await agg('/health')).json()) as { modelVersion: number }).modelVersion;
const manifestOf = async (v: number): Promise<Manifest> => (await agg(`/v1/model/versions/${v}/manifest.json`)).json() as Promise<Manifest>;

/** Publishes the next version: one update (the round's noise on a zero delta) to the open round, which closes on it. */
async function publish(): Promise<number> {
  const before = await health();
  const r = (await (await agg('/v1/round')).json()) as { roundId: number; baseVersion: number; clipBound: number; noiseMultiplier: number; maxClientWeight: number; layout: { tensors: { name: string; shape: number[] }[] } };
  const layout = requireLayout(r.layout);
  const { bytes } = makeUpdate(new Float32Array(layout.size), layout, { roundId: r.roundId, baseVersion: r.baseVersion, clipBound: r.clipBound, noiseMultiplier: r.noiseMultiplier, examples: 1, maxClientWeight: r.maxClientWeight, rng: new Rng(r.roundId) });
  const res = await fetch(`${env.agg.url}/v1/round/${r.roundId}/updates`, { method: 'POST', headers: { 'content-type': 'application/vnd.perch.update.v1' }, body: bytes as unknown as BodyInit });
  expect(res.status).toBe(202);
  await waitFor(async () => (await health()) === before + 1, 30_000, `version ${before + 1}`);
  return before + 1;
}

/** The signing key the aggregator holds (its key file in the suite's temp dir): the malicious server has it. */
function aggregatorSigner(file = join(dirname(env.db), 'signing-key.json')): Signer {
  const j = JSON.parse(readFileSync(file, 'utf8')) as { keyId: string; privateKey: string };
  const key = createPrivateKey({ key: Buffer.from(j.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  return { keyId: j.keyId, sign: (m) => new Uint8Array(sign(null, m, key)) };
}

/** A signing key the devices do not pin. */
async function strangerSigner(): Promise<Signer> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign'])) as CryptoKeyPair;
  const pub = base64url(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
  return { keyId: await keyIdOf(pub), sign: async (m) => new Uint8Array(await crypto.subtle.sign('Ed25519', pair.privateKey, m as Uint8Array<ArrayBuffer>)) };
}

/**
 * From now on the proxy answers every GET of `path` (the current manifest by default; a 304 becomes a 200) with
 * `make(the aggregator's current manifest)`, prepared once here.
 */
async function serveManifest(make: (current: Manifest) => Promise<Manifest | Buffer> | Manifest | Buffer, path = /^\/v1\/model\/manifest\.json$/): Promise<void> {
  const out = await make((await (await agg('/v1/model/manifest.json')).json()) as Manifest);
  const body = Buffer.isBuffer(out) ? out : Buffer.from(JSON.stringify(out, null, 2));
  env.proxy.rewrite = (req: Recorded) => (req.method === 'GET' && path.test(req.path.split('?')[0]!) ? { status: 200, body } : undefined);
}
const honest = (): void => { env.proxy.rewrite = undefined; };

const deviceConfig = (dbName: string, over: Record<string, unknown> = {}) => ({
  consent: { storage: 'granted', personalization: 'granted', training: 'denied' }, mode: 'federated', aggregatorUrl: env.proxy.url,
  modelUrl: `${env.proxy.url}/v1/model/manifest.json`, modelKeys: env.modelKeys, dbName, ...over,
});

type PW = Window & { perch: { loaded?: boolean; init(c: unknown): Promise<void>; audit(): Promise<AuditReport>; forget(): Promise<unknown>; rerank(l: unknown[], o?: unknown): Promise<{ personalized: boolean }> } };

/** Reloads the page with `config` (a new worker: the model is revalidated) and waits for the model side to settle. */
async function reload(page: Page, config: Record<string, unknown>, done: (a: AuditReport) => boolean, what: string): Promise<AuditReport> {
  await page.reload();
  await page.waitForFunction(() => (window as unknown as PW).perch?.loaded === true);
  await page.evaluate((c) => (window as unknown as PW).perch.init(c), config);
  let last: AuditReport | undefined;
  return waitFor(async () => { last = await page.evaluate(() => (window as unknown as PW).perch.audit()); return done(last) ? last : null; }, 30_000, what)
    .catch((e: Error) => { throw new Error(`${e.message}: model ${JSON.stringify(last?.model)}`); });
}
const audit = (d: Device): Promise<AuditReport> => d.audit();
const personalized = (page: Page): Promise<boolean> =>
  page.evaluate(async () => (await (window as unknown as PW).perch.rerank(['item-3', 'item-7', 'item-11'].map((item_id) => ({ item_id })))).personalized);

test('(f) an unsigned or re-signed manifest is refused and the previous model stays in use', async ({ browser }) => {
  test.setTimeout(120_000);
  const cfg = deviceConfig('perch-sig-f');
  const d = await openDevice(browser, env.sdk, cfg, historyFor(1));
  devices.push(d);
  const key = { keyId: env.agg.modelKey.keyId };
  const first = await waitFor(async () => { const a = await audit(d); return a.model.version === '1' ? a : null; }, 60_000, 'version 1');
  expect(first.model.signature).toEqual({ status: 'verified', keyId: key.keyId });
  expect(first.model.log).toMatchObject({ index: 0, checked: true, head: (await manifestOf(1)).log!.head });
  expect(first.model.error).toBeUndefined();

  expect(await publish()).toBe(2);
  const stranger = await strangerSigner();
  const cases: [string, (m: Manifest) => Promise<Manifest> | Manifest, RegExp][] = [
    ['unsigned', (m) => { const { signature: _s, ...rest } = m; return rest; }, /model version 2 refused: unsigned manifest, but modelKeys are pinned/],
    ['re-signed with another key', (m) => sealManifest(m, { index: m.log!.index - 1, head: m.log!.prev }, stranger), new RegExp(`model version 2 refused: signed by key ${stranger.keyId}, which is not pinned`)],
    ['re-signed, claiming the pinned key id', (m) => sealManifest(m, { index: m.log!.index - 1, head: m.log!.prev }, { ...stranger, keyId: key.keyId }), new RegExp(`model version 2 refused: the signature by key ${key.keyId} does not verify`)],
    ['a changed body under the genuine signature', (m) => ({ ...m, evaluation: { tailored: true } }), /model version 2 refused: the signature by key .* does not verify/],
  ];
  for (const [name, forge, reason] of cases) {
    await serveManifest(forge);
    const a = await reload(d.page, cfg, (x) => x.model.version === '1' && !!x.model.error, name);
    expect(a.model.error, name).toMatch(reason);
    expect(a.model.signature, name).toEqual({ status: 'verified', keyId: key.keyId }); // the one in use: version 1's
    expect(a.model.log?.index, name).toBe(0);
    expect(await personalized(d.page), `${name}: the previous model still reranks`).toBe(true);
  }
  // The audit page of a shop shows the same: the demo store renders a.model (demo-store/src/views/audit.ts).
  honest();
  const ok = await reload(d.page, cfg, (x) => x.model.version === '2', 'version 2, honestly served');
  expect(ok.model).toMatchObject({ signature: { status: 'verified', keyId: key.keyId }, log: { index: 1, checked: true } });
  expect(ok.model.error).toBeUndefined();
});

test('(e) a replayed old version (lower log index) is refused, also after forget()', async () => {
  test.setTimeout(120_000);
  const d = devices[0]!;
  const cfg = deviceConfig('perch-sig-f');
  const v1 = Buffer.from(await (await agg('/v1/model/versions/1/manifest.json')).arrayBuffer());
  await serveManifest(() => v1);
  const a = await reload(d.page, cfg, (x) => x.model.version === '2' && !!x.model.error, 'the replay refused');
  expect(a.model.error).toMatch(/model version 1 refused: replay of an old version: log index 0 is below this device's checkpoint 1/);
  expect(a.model.log?.index).toBe(1);
  // forget() erases the events and the cached model, not the device's log checkpoint: the replay is still refused.
  await d.page.evaluate(() => (window as unknown as PW).perch.forget());
  const after = await reload(d.page, cfg, (x) => !!x.model.error, 'the replay refused after forget()');
  expect(after.model.version).toBeNull();
  expect(after.model.error).toMatch(/replay of an old version: log index 0 is below this device's checkpoint 1/);
  expect(await d.page.evaluate(async () => (await indexedDB.databases()).map((x) => x.name))).toContain('perch-sig-f:trust');
  honest();
});

test('(d) a version tailored for one device: refused at once with a witness; without one, detected at the next version', async ({ browser }) => {
  test.setTimeout(180_000);
  // The witness: the shop's own origin serves a copy of the aggregator's signed checkpoint (now at index 1, version 2).
  const sdk = env.sdk as typeof env.sdk & { page(path: string, body: string): string };
  const copyCheckpoint = async (): Promise<Checkpoint> => {
    const cp = (await (await agg('/v1/log/checkpoint')).json()) as Checkpoint;
    sdk.page('/witness/checkpoint.json', JSON.stringify(cp));
    return cp;
  };
  expect((await copyCheckpoint()).index).toBe(1);
  const witnessed = deviceConfig('perch-sig-w', { modelLog: { witnessUrl: `${env.sdk.origin}/witness/checkpoint.json` } });
  const plain = deviceConfig('perch-sig-nw');

  // Both devices start from the honest version 2 (the witness agrees: same index, same head).
  const w = await openDevice(browser, env.sdk, witnessed, historyFor(2));
  const n = await openDevice(browser, env.sdk, plain, historyFor(3));
  devices.push(w, n);
  const start = await waitFor(async () => { const a = await audit(w); return a.model.version === '2' ? a : null; }, 60_000, 'witnessed device on version 2');
  expect(start.model.log).toMatchObject({ index: 1, witness: { index: 1 } });
  await waitFor(async () => (await audit(n)).model.version === '2', 60_000, 'plain device on version 3');

  // Version 3 is published; the malicious aggregator serves these two devices a tailored version 3 instead, on the
  // same prefix, validly signed with its own key: another entry 2 of the log that no one else sees.
  expect(await publish()).toBe(3);
  const signer = aggregatorSigner();
  await serveManifest((m) => sealManifest({ ...m, evaluation: { tailoredFor: 'one device' } }, { index: m.log!.index - 1, head: m.log!.prev }, signer));

  // With a witness that has not seen entry 2: refused, fail closed, previous model kept.
  let a = await reload(w.page, witnessed, (x) => !!x.model.error, 'witness not reached');
  expect(a.model.version).toBe('2');
  expect(a.model.error).toMatch(/model version 3 refused: the witness has not seen log index 2 yet \(it is at 1\)/);
  // The witness copies the aggregator's checkpoint (the honest entry 2): the tailored one is a fork.
  expect((await copyCheckpoint()).index).toBe(2);
  a = await reload(w.page, witnessed, (x) => !!x.model.error, 'fork refused');
  expect(a.model.version).toBe('2');
  expect(a.model.error).toMatch(/model version 3 refused: fork: the witness's checkpoint 2 does not extend log index 2/);
  expect(await personalized(w.page)).toBe(true);

  // Without a witness the tailored version is accepted (its signature and its chain from entry 1 hold)...
  a = await reload(n.page, plain, (x) => x.model.version === '3', 'the tailored version, unwitnessed');
  expect(a.model.error).toBeUndefined();
  const tailoredHead = a.model.log!.head;
  expect(tailoredHead).not.toBe((await manifestOf(3)).log!.head);
  // ...and detected at the next version: the honest entry 3 does not extend the tailored entry 2.
  honest();
  expect(await publish()).toBe(4);
  a = await reload(n.page, plain, (x) => !!x.model.error, 'the fork detected at the next version');
  expect(a.model.version).toBe('3');
  expect(a.model.log?.head).toBe(tailoredHead);
  expect(a.model.error).toMatch(/model version 4 refused: fork: two heads for log index 2 \(this device's checkpoint is 2, the version is at 3\)/);

  // The witnessed device, served honestly, takes the honest version 4 once the witness has seen it.
  await copyCheckpoint();
  a = await reload(w.page, witnessed, (x) => x.model.version === '4', 'honest version 4 with the witness');
  expect(a.model.log).toMatchObject({ index: 3, checked: true, witness: { index: 3 } });
  expect(a.model.error).toBeUndefined();
});

test('federated training needs pinned keys, and a refused base model stops the round before training', async ({ browser }) => {
  test.setTimeout(120_000);
  honest();
  const training = { consent: consentAll, federated: { minIntervalMs: 300, idleAfterMs: 0, maxUploadDelayMs: 0, minCohort: 1 } };
  const posts = () => env.proxy.requests.filter((r) => r.method === 'POST').length;
  const before = posts();
  const unpinned = await openDevice(browser, env.sdk, { ...deviceConfig('perch-sig-nokey', training), modelKeys: undefined }, historyFor(4));
  devices.push(unpinned);
  await waitFor(async () => (await audit(unpinned)).federated?.state === 'no pinned model key: not training', 30_000, 'no pinned key');
  // Base models are fetched from the immutable per-version URL: the proxy strips the signature there.
  await serveManifest((m) => { const { signature: _s, ...rest } = m; return rest; }, /^\/v1\/model\/versions\/\d+\/manifest\.json$/);
  const pinned = await openDevice(browser, env.sdk, deviceConfig('perch-sig-base', training), historyFor(5));
  devices.push(pinned);
  const a = await waitFor(async () => { const x = await audit(pinned); return /refused/.test(x.federated?.state ?? '') ? x : null; }, 30_000, 'the base model refused');
  expect(a.federated!.state).toMatch(/model version \d+ refused: unsigned manifest, but modelKeys are pinned/);
  expect(a.federated!.uploads).toBe(0);
  expect(a.privacy.uploads).toBe(0);
  expect(posts()).toBe(before);
  honest();
});

test('key rotation: both keys pinned accept the new key\'s version; only the new key refuses an old-signed version', async ({ browser }) => {
  test.setTimeout(180_000);
  honest();
  const keyA = env.agg.modelKey;
  const current = await health();
  // Step 3 of the rotation: the aggregator restarts with the new key (pages already pin both).
  await kill9(env.agg);
  env.agg = await startAggregator(env.db, [...ARGS, '--signing-key', join(dirname(env.db), 'signing-key-b.json')]);
  env.proxy.target = env.agg.url;
  const keyB = env.agg.modelKey;
  expect(keyB.keyId).not.toBe(keyA.keyId);
  expect((await manifestOf(current)).signature!.keyId).toBe(keyA.keyId); // old versions keep their signatures

  const both = deviceConfig('perch-rot-ab', { modelKeys: [keyA.publicKey, keyB.publicKey] });
  const onlyB = deviceConfig('perch-rot-b', { modelKeys: [keyB.publicKey] });
  const ab = await openDevice(browser, env.sdk, both, historyFor(6));
  const b = await openDevice(browser, env.sdk, onlyB, historyFor(7));
  devices.push(ab, b);
  let x = await waitFor(async () => { const a = await audit(ab); return a.model.version ? a : null; }, 60_000, 'both keys: the current version');
  expect(x.model).toMatchObject({ version: String(current), signature: { status: 'verified', keyId: keyA.keyId } });
  x = await waitFor(async () => { const a = await audit(b); return a.model.error ? a : null; }, 60_000, 'only the new key: refused');
  expect(x.model.version).toBeNull();
  expect(x.model.error).toMatch(new RegExp(`model version ${current} refused: signed by key ${keyA.keyId}, which is not pinned`));

  // The next version is signed with the new key and continues the same log.
  expect(await publish()).toBe(current + 1);
  const m = await manifestOf(current + 1);
  expect(m.signature!.keyId).toBe(keyB.keyId);
  x = await reload(ab.page, both, (a) => a.model.version === String(current + 1), 'both keys: the new version');
  expect(x.model).toMatchObject({ signature: { status: 'verified', keyId: keyB.keyId }, log: { index: m.log!.index, checked: true } });
  expect(x.model.error).toBeUndefined();
  x = await reload(b.page, onlyB, (a) => a.model.version === String(current + 1), 'only the new key: the new version');
  expect(x.model.signature).toEqual({ status: 'verified', keyId: keyB.keyId });
  // Step 4: the old key is dropped; a server that replays an old-signed version to such a device is refused.
  await serveManifest(async () => Buffer.from(await (await agg(`/v1/model/versions/${current}/manifest.json`)).arrayBuffer()));
  x = await reload(b.page, onlyB, (a) => !!a.model.error, 'only the new key: the old-signed version refused');
  expect(x.model.version).toBe(String(current + 1));
  expect(x.model.error).toMatch(new RegExp(`model version ${current} refused: signed by key ${keyA.keyId}, which is not pinned`));
  honest();
});

test('where WebCrypto has no Ed25519, the trust script loads perch-ed25519.js (@noble/ed25519) and decides the same', async ({ page }) => {
  test.setTimeout(60_000);
  honest();
  // A worker beside the SDK's scripts whose WebCrypto refuses Ed25519 (as a browser without it does).
  const sdk = env.sdk as typeof env.sdk & { page(path: string, body: string): string };
  sdk.page('/dist/test-no-ed25519-worker.js', `
    const importKey = crypto.subtle.importKey.bind(crypto.subtle);
    let refused = 0;
    crypto.subtle.importKey = (format, key, alg, ...rest) => (alg && (alg.name || alg)) === 'Ed25519'
      ? (refused++, Promise.reject(new DOMException('Ed25519 is not supported', 'NotSupportedError'))) : importKey(format, key, alg, ...rest);
    importScripts('perch-trust.js');
    onmessage = async (e) => {
      const { manifest, keys } = e.data, c = perchTrust.checker('perch-no-ed25519');
      const out = { before: typeof self.perchEd25519 };
      const run = (m) => c.check(m, { keys }).then((v) => ({ signature: v.signature, index: v.log.index }), (x) => x.message);
      out.genuine = await run(manifest);
      out.after = typeof self.perchEd25519;
      out.tampered = await run({ ...manifest, modelVersion: 'x' });
      out.refused = refused;
      postMessage(out);
    };`);
  await page.goto(`${env.sdk.origin}/p/fed.html`);
  const manifest = await (await agg('/v1/model/manifest.json')).json();
  const out = await page.evaluate(({ manifest, keys }) => new Promise<Record<string, unknown>>((resolve) => {
    const w = new Worker('/dist/test-no-ed25519-worker.js');
    w.onmessage = (e) => resolve(e.data as Record<string, unknown>);
    w.postMessage({ manifest, keys });
  }), { manifest, keys: [env.agg.modelKey.publicKey] }); // the key that signs now (after the rotation test: the new one)
  expect(out.before).toBe('undefined');
  expect(out.after).toBe('object');
  expect(out.refused).toBeGreaterThan(0);
  expect(out.genuine).toEqual({ signature: { status: 'verified', keyId: env.agg.modelKey.keyId }, index: (manifest as Manifest).log!.index });
  expect(out.tampered).toMatch(/refused: the signature by key .* does not verify/);
});
