// Browser → aggregator, end to end: several Chromium contexts, each with its own stored history, take part in
// a round of the real aggregator (child process, temp SQLite, min clients = 3); the round closes on its count
// (`--close-at-target on`: a DP round otherwise runs to its deadline) and publishes
// version 2; every client loads and verifies it; each upload is byte-identical to its audit().outbound entry
// and carries none of the session's item ids, list ids or timestamps; devices train with the announced recipe,
// and the tensors it freezes keep their value in the published version.
import { createHash } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { loadExport } from '@perch/model/export';
import { DEFAULT_RECIPE } from '@perch/learn/client';
import { DeviceAccountant, trainedBy } from '@perch/learn/privacy';
import { waitFor } from './support/aggregator.js';
import { consentAll, historyFor, openDevice, type Device } from './support/device.js';
import { federatedSuite } from './support/suite.js';

const CLIENTS = 3;
const Z = 5; // noise multiplier announced by the round (q = 1): the default policy's minimum
// One upload at z = 5 costs ε ≈ 2.6 against the aggregator at δ 1e-10; a second would pass 3: each device takes
// part exactly once, then stops.
const BUDGET = 3;
// The round also announces a local recipe other than the default, which the devices must follow.
const RECIPE = { ...DEFAULT_RECIPE, epochs: 2, virtualBatch: 64, frozen: ['event_emb', 'gap_emb', 'cat_w', 'cat_b'] };
const AGG_ARGS = ['--min-clients', String(CLIENTS), '--target-clients', String(CLIENTS), '--round-seconds', '120', '--close-at-target', 'on', '--sampling', '1', '--noise', String(Z), '--clip', '1',
  '--local-epochs', String(RECIPE.epochs), '--local-virtual-batch', String(RECIPE.virtualBatch), '--local-frozen', RECIPE.frozen.join(',')];

const devices: Device[] = [];
const env = federatedSuite(AGG_ARGS, devices);

/** A published version's weights, read and verified (sha256 of every file) as a client does. */
async function weightsOf(version: number): Promise<Record<string, Float32Array>> {
  const get = async (path: string) => new Uint8Array(await (await fetch(`${env.agg.url}/v1/model/versions/${version}/${path}`)).arrayBuffer());
  return (await loadExport(get, await get('manifest.json'))).weights;
}

const health = async (): Promise<{ modelVersion: number; roundId: number }> => (await fetch(`${env.agg.url}/health`)).json() as never;

test('a round completes with several browsers; clients pick up and verify the new version; uploads are logged byte for byte and hold no ids or timestamps', async ({ browser }) => {
  test.setTimeout(240_000);
  const config = {
    consent: consentAll, mode: 'federated', aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys, modelUrl: `${env.proxy.url}/v1/model/manifest.json`,
    // The policy these pages pin: the default one, with this test's cohort and the tensors its recipe trains.
    dbName: 'perch-fed', federated: { minIntervalMs: 300, idleAfterMs: 0, epsilonBudget: BUDGET, maxUploadDelayMs: 500, minCohort: CLIENTS, trainable: trainedBy(RECIPE) },
  };
  const started = Date.now();
  for (let i = 0; i < CLIENTS; i++) devices.push(await openDevice(browser, env.sdk, config, historyFor(i + 1)));
  const first = await waitFor(async () => { const a = await devices[0]!.audit(); return a.model.version ? a : null; }, 60_000, 'model v1 in the first client');
  expect(first.model.version).toBe('1');

  await waitFor(async () => (await health()).modelVersion === 2, 90_000, 'the round to publish version 2').catch(async (e: unknown) => {
    const seen = [...new Set(env.proxy.requests.map((r) => `${r.method} ${r.path} ${r.status ?? '-'} ${r.body.length}B`))];
    throw new Error(`${(e as Error).message}\nproxy saw:\n${seen.slice(-30).join('\n')}\naggregator exit ${env.agg.child.exitCode} ${env.agg.child.signalCode}, stderr: ${env.agg.stderr().slice(-3000)}`);
  });
  const manifest2 = new Uint8Array(await (await fetch(`${env.agg.url}/v1/model/versions/2/manifest.json`)).arrayBuffer());
  const sha2 = createHash('sha256').update(manifest2).digest('hex');
  // The recipe's frozen tensors keep their value (devices send zeros there, the server zeroes the noise); the
  // trained ones moved.
  const [w1, w2] = [await weightsOf(1), await weightsOf(2)];
  for (const name of RECIPE.frozen) expect(w2[name], `${name} frozen`).toEqual(w1[name]);
  for (const name of ['gru_wh', 'out_w']) expect(w2[name], `${name} trained`).not.toEqual(w1[name]);

  const posts = env.proxy.requests.filter((r) => r.method === 'POST');
  expect(posts.length).toBeGreaterThanOrEqual(CLIENTS);
  for (const [i, d] of devices.entries()) {
    const a = await waitFor(async () => { const x = await d.audit(); return x.model.version === '2' ? x : null; }, 60_000, `client ${i} on version 2`);
    expect(a.model.sha256).toBe(sha2);
    // Transparency log: every POST this device made is in it, byte for byte, and matches what the network saw.
    const uploads = a.outbound.filter((e) => e.method === 'POST');
    expect(uploads.some((e) => e.status === 202), JSON.stringify(a.outbound.map((e) => [e.method, e.url, e.status, e.bytes]))).toBe(true);
    for (const e of uploads) {
      const body = Buffer.from(e.body, 'base64');
      expect(body.length).toBe(e.bytes);
      expect(body.readUInt32LE(24), 'client weight 1 with noise on (the example count is not covered by DP)').toBe(1);
      const seen = posts.find((p) => p.body.equals(body));
      expect(seen, 'the logged body reached the aggregator unchanged').toBeTruthy();
      expect(seen!.path).toBe(new URL(e.url).pathname);
      // ...and it is what the browser itself reported sending (Playwright's request events, worker included).
      expect(d.posts.some((p) => p.equals(body)), 'the browser reported this body').toBe(true);
      // No item id, list id or timestamp of this session in the upload.
      const latin = body.toString('latin1');
      for (const [, ids, list] of historyFor(i + 1)) {
        for (const id of ids) expect(latin.includes(id)).toBe(false);
        expect(latin.includes(list!)).toBe(false);
      }
      for (let t = Math.floor(started / 1000) - 5; t <= Math.floor(Date.now() / 1000) + 5; t++) {
        expect(latin.includes(String(t))).toBe(false);
        const le = Buffer.alloc(4); le.writeUInt32LE(t); expect(body.includes(le)).toBe(false);
      }
    }
    // A plain round loads no secure-aggregation code (secagg.spec.ts checks the same request is seen when it does).
    expect(d.urls.some((u) => u.endsWith('/perch-secagg.js'))).toBe(false);
    // The GET of the round is logged too (no body).
    expect(a.outbound.some((e) => e.method === 'GET' && e.url.endsWith('/v1/round') && e.body === '')).toBe(true);
    // ε spent = the device accountant's value for one upload at z = Z, against the aggregator.
    expect(a.privacy.epsilonBudget).toBe(BUDGET);
    expect(a.privacy.delta).toBe(1e-10);
    const acc = new DeviceAccountant({ epsilonBudget: BUDGET, delta: 1e-10 });
    acc.recordUpload(Z, 0);
    expect(a.privacy).toMatchObject({ epsilonServer: acc.epsilonServer(), epsilonPublished: acc.epsilonServer(), uploads: 1 });
    expect(acc.canUpload(Z)).toBe(false);
    expect(a.federated?.refusals).toEqual([]);
    // The client's own account of itself: one accepted upload, trained with the round's recipe on the model's
    // item counts (the seed model ships them), then it stops for want of budget.
    expect(a.federated?.uploads).toBe(1);
    expect(a.federated?.lastTraining).toMatchObject({ recipe: RECIPE, itemCounts: true });
    expect(a.federated!.lastTraining!.positions).toBeGreaterThan(0);
    await waitFor(async () => (await d.audit()).federated?.state === 'privacy budget exhausted', 10_000, `client ${i} stops at its budget`);
  }
  // Past the budget nobody contributes again: no second round is published, no second upload was made.
  await new Promise((r) => setTimeout(r, 2_000));
  expect((await health()).modelVersion).toBe(2);
  expect(env.proxy.requests.filter((r) => r.method === 'POST').length).toBe(CLIENTS);
  // Every upload request on the wire was one of the logged ones (nothing sent unlogged).
  const logged = (await Promise.all(devices.map((d) => d.audit()))).flatMap((a) => a.outbound.filter((e) => e.method === 'POST').map((e) => Buffer.from(e.body, 'base64')));
  for (const p of posts) expect(logged.some((b) => b.equals(p.body))).toBe(true);
});

test('ε spent survives a reload (persisted on the device)', async () => {
  test.setTimeout(60_000);
  const d = devices[0]!;
  const before = (await d.audit()).privacy.epsilonServer;
  expect(before).toBeGreaterThan(0);
  await d.page.reload();
  await d.page.waitForFunction(() => (window as unknown as { perch?: { loaded?: boolean } }).perch?.loaded === true);
  const after = await d.page.evaluate(async () => {
    const p = (window as unknown as { perch: { init(c: unknown): Promise<void>; audit(): Promise<{ privacy: { epsilonServer: number } }> } }).perch;
    await p.init({ consent: { storage: 'granted', personalization: 'granted', training: 'denied' }, dbName: 'perch-fed' });
    return (await p.audit()).privacy.epsilonServer;
  });
  expect(after).toBe(before);
});
