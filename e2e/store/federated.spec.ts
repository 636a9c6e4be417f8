// The audit proof in federated mode, in the demo store as a shopper uses it: the store (built to reach its
// aggregator on store.aggregatorPort) runs against the real aggregator, seeded with the store's own model,
// behind a recording proxy on that port. After a shopping session the device uploads on its own (idle page,
// default pacing); every upload that reached the network is an entry of audit().outbound byte for byte, as
// the browser itself reported it too; each one is exactly the fixed-size wire format of the model's dense
// layout (no room for anything else) and carries none of the session's item ids, list ids or timestamps;
// the audit panel shows the same log and the client's state.
import { decodeUpdate } from '@perch/learn/update';
import { DeviceAccountant } from '@perch/learn/privacy';
import type { AuditReport } from '@perch/sdk';
import { kill9, startAggregator, startProxy, tempDb, waitFor, type Aggregator, type Proxy } from '../federated/support/aggregator.js';
import { expect, go, open, stored, test } from './fixtures.js';

let agg: Aggregator | undefined, proxy: Proxy | undefined, tmp: ReturnType<typeof tempDb> | undefined;
test.afterAll(async () => {
  if (agg) await kill9(agg);
  await proxy?.close();
  tmp?.cleanup();
});

test('federated mode: uploads are the logged bytes, fixed-size dense deltas, with no session ids or timestamps', async ({ page, store, errors }) => {
  test.setTimeout(240_000);
  tmp = tempDb();
  agg = await startAggregator(tmp.db, ['--model', process.env.PERCH_MODEL_DIR!, '--min-clients', '10', '--target-clients', '100', '--round-seconds', '600', '--sampling', '1', '--noise', '5', '--signing-key', store.signingKey]);
  proxy = await startProxy(agg.url, store.aggregatorPort);
  const posts: Buffer[] = [];
  page.context().on('request', (r) => { if (r.method() === 'POST') posts.push(r.postDataBuffer() ?? Buffer.alloc(0)); });

  await open(page, store, '/?mode=federated&consent=all');
  const cats = (await page.locator('.cats a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).hash))).slice(0, 4);
  for (let i = 0; i < 8; i++) {
    await go(page, cats[i % cats.length]!);
    await page.locator('.list .card').nth(i % 5).locator('.card-link').click();
    await expect(page.locator('.product h1')).toBeVisible();
    if (i % 2 === 0) await page.locator('.product [data-add]').click();
  }
  const events = await stored(page);
  // The model in use is the aggregator's (its version 1), not the store's static copy.
  const audit = (): Promise<AuditReport> => page.evaluate(() => (window as unknown as { perch: { audit(): Promise<AuditReport> } }).perch.audit());
  await waitFor(async () => (await audit()).model.version === '1', 60_000, 'the aggregator\'s model');

  // No input from here on: the page goes idle, the client takes part (random wait ≤ 30 s before the upload).
  await waitFor(async () => proxy!.requests.some((r) => r.method === 'POST' && r.status === 202), 120_000, 'an upload from the store');
  const a = await audit();
  const uploads = proxy.requests.filter((r) => r.method === 'POST');
  const logged = a.outbound.filter((e) => e.method === 'POST').map((e) => Buffer.from(e.body, 'base64'));
  expect(uploads.length).toBeGreaterThan(0);
  const round = (await (await fetch(`${agg.url}/v1/round`)).json()) as { layout: { hash: string; size: number; tensors: unknown[] } };
  const itemIds = [...new Set(events.flatMap((e) => e.items.map((x) => x.id)))];
  const listIds = [...new Set(events.flatMap((e) => [e.list, ...e.items.map((x) => x.list)]).filter((x): x is string => !!x))];
  for (const u of uploads) {
    expect(logged.some((b) => b.equals(u.body)), 'the upload is in the transparency log byte for byte').toBe(true);
    expect(posts.some((b) => b.equals(u.body)), 'the browser reported sending these bytes').toBe(true);
    // The wire format of the model's dense layout and nothing else: header, one scale per tensor, one int8 per value.
    const d = decodeUpdate(new Uint8Array(u.body));
    expect(d.ok).toBe(true);
    if (!d.ok) continue;
    expect(d.update.layoutHash).toBe(round.layout.hash);
    expect(d.update.q.length).toBe(round.layout.size);
    expect(u.body.length).toBe(44 + 4 * round.layout.tensors.length + round.layout.size);
    expect(d.update.clientWeight).toBe(1);
    // Ids and timestamps as text (short numeric ids occur by chance in 30 kB of random bytes: ids of 4+ characters
    // are checked), and timestamps as the binary numbers they could be written as.
    const latin = u.body.toString('latin1');
    for (const id of itemIds.filter((x) => x.length >= 4)) expect(latin.includes(id), `item ${id}`).toBe(false);
    for (const l of listIds) expect(latin.includes(l), `list ${l}`).toBe(false);
    for (const e of events) {
      expect(latin.includes(String(e.ts))).toBe(false);
      const f = Buffer.alloc(8); f.writeDoubleLE(e.ts); expect(u.body.includes(f)).toBe(false);
      const s = Buffer.alloc(4); s.writeUInt32LE(Math.floor(e.ts / 1000)); expect(u.body.includes(s)).toBe(false);
    }
  }
  // Nothing was sent that is not logged: every request that reached the aggregator is a log entry, a model
  // download or a read of the version log (GET without a body) or the browser's own CORS preflight for an upload (OPTIONS without a body).
  const unlogged = proxy.requests.filter((r) => !(a.outbound.some((e) => e.method === r.method && new URL(e.url).pathname === r.path)
    || (r.method === 'GET' && /^\/v1\/(model|log)\//.test(r.path)) || r.method === 'OPTIONS'));
  expect(unlogged.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  expect(proxy.requests.filter((r) => r.method !== 'POST').every((r) => r.body.length === 0)).toBe(true);

  await go(page, '#/audit');
  // The model section: the version in use, verified against the key the store pins, and its place in the log.
  expect(a.model.signature).toEqual({ status: 'verified', keyId: agg.modelKey.keyId });
  await expect(page.locator('#model-signature')).toHaveText(`verified (pinned key ${agg.modelKey.keyId})`);
  await expect(page.locator('#model-log')).toContainText(/^entry 0, head [0-9a-f]{16}… · consistent with this device's last version$/);
  await expect(page.locator('#federated-state')).toContainText(/uploaded to round \d+ · 1 upload accepted|1 upload accepted/);
  await expect(page.locator('#outbound-table tbody tr').filter({ hasText: 'POST' })).toHaveCount(logged.length);
  // The budget the panel shows is the device's ε against the aggregator: one upload at the policy's z = 5.
  const once = new DeviceAccountant({ epsilonBudget: 8, delta: 1e-10 });
  once.recordUpload(5, 0);
  expect(a.privacy).toMatchObject({ epsilonServer: once.epsilonServer(), epsilonBudget: 8, delta: 1e-10, uploads: 1 });
  await expect(page.locator('#epsilon')).toHaveText(`ε ${once.epsilonServer().toFixed(2)} of 8`);
  expect(errors).toEqual([]);
});
