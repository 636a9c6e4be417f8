// The public API with the real loader, worker and model script: the model runtime is fetched only with
// personalization consent; the wasm backend's binaries come from the SDK's own asset base; the first rerank
// after the model loaded is personalised within the default budget; and every rerank reports its
// impression (shown and original positions) as a stored `view_item_list`, personalised or not.
import type { Page } from '@playwright/test';
import { snippet } from '@perch/sdk';
import { categoryHistory, expect, mixedList, test } from './fixtures.js';
import type { RerankServer } from './support/server.js';

const PAGE = `<!doctype html><meta charset="utf-8"><script>${snippet('/dist/perch.iife.js')}</script>`;

/** Every request the page and its worker make (URL and status once answered). */
function requestLog(page: Page): { url: string; status?: number }[] {
  const log: { url: string; status?: number }[] = [];
  page.on('request', (r) => log.push({ url: r.url() }));
  page.on('response', (r) => {
    const e = log.find((x) => x.url === r.url() && x.status === undefined);
    if (e) e.status = r.status();
  });
  return log;
}

async function boot(page: Page, server: RerankServer, cfg: Record<string, unknown>): Promise<void> {
  server.page('/p/shop.html', PAGE);
  await page.goto(`${server.origin}/p/shop.html`);
  await page.waitForFunction(() => (window as any).perch?.loaded === true);
  await page.evaluate((c) => (window as any).perch.init(c), { modelUrl: '/model/manifest.json', ...cfg });
}

async function trackHistory(page: Page, events: ReturnType<typeof categoryHistory>): Promise<void> {
  await page.evaluate((evs) => {
    const p = (window as any).perch;
    for (const e of evs) p.track(e.type, { items: e.items.map((i: any) => ({ item_id: i.id, item_category: i.category })) });
    return p.flush();
  }, events);
}

const audit = (page: Page): Promise<any> => page.evaluate(() => (window as any).perch.audit());
const modelVersion = async (page: Page): Promise<string | null> => (await audit(page)).model?.version ?? null;
const impressions = async (page: Page): Promise<any[]> =>
  (await page.evaluate(() => (window as any).perch.exportData())).events.filter((e: any) => e.type === 'view_item_list');

test('a storage-only session never fetches the model runtime; granting personalization fetches and loads it', async ({ page, server, catalog, errors }) => {
  const log = requestLog(page);
  await boot(page, server, { dbName: 'rt-storage-only', consent: { storage: 'granted', personalization: 'denied' }, backend: 'cpu' });
  await trackHistory(page, categoryHistory(catalog));
  const r = await page.evaluate((list) => (window as any).perch.rerank(list), mixedList(catalog));
  expect(r.personalized).toBe(false);
  expect((await audit(page)).storage.kind).toBe('indexeddb');
  await page.waitForTimeout(1_500); // time for a wrongly started model load to show up
  const fetched = (re: RegExp): string[] => log.map((x) => x.url).filter((u) => re.test(u));
  expect(fetched(/perch-worker\.js$/)).toHaveLength(1);
  expect(fetched(/perch-model\.js|\/model\/|\.wasm$/)).toEqual([]);
  expect((await audit(page)).model.version).toBeNull();

  // The same page once personalization is granted: the worker imports the runtime and loads the model.
  await page.evaluate(() => (window as any).perch.consent.set({ personalization: 'granted' }));
  await expect.poll(() => modelVersion(page), { timeout: 60_000 }).not.toBeNull();
  expect(fetched(/perch-model\.js$/)).toEqual([`${server.origin}/dist/perch-model.js`]);
  expect(fetched(/\/model\/manifest\.json$/).length).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});

test('backend wasm forced: its .wasm binary comes from the SDK asset base (no CDN)', async ({ page, server }) => {
  test.setTimeout(180_000);
  const log = requestLog(page);
  await boot(page, server, { dbName: 'rt-wasm', consent: { storage: 'granted', personalization: 'granted' }, backend: 'wasm', assetBase: '/dist/' });
  await expect.poll(() => modelVersion(page), { timeout: 90_000 }).not.toBeNull();
  const a = await audit(page);
  expect(a.model.backend, a.model.backendReason).toBe('wasm');
  expect(a.model.backendReason).toContain("forced by init({ backend: 'wasm' })");
  const wasm = log.filter((x) => x.url.endsWith('.wasm'));
  expect(wasm.length).toBeGreaterThan(0);
  for (const w of wasm) {
    expect(w.url).toMatch(new RegExp(`^${server.origin}/dist/tfjs-backend-wasm(-simd)?\\.wasm$`));
    expect(w.status).toBe(200);
  }
  // Nothing but the shop's own origin was contacted.
  expect(log.filter((x) => !x.url.startsWith(server.origin))).toEqual([]);
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: the first rerank after the model loaded is personalised within the default budget`, async ({ page, server, catalog }) => {
    test.setTimeout(180_000);
    // A new shopper: the model loads with no history, then the shopper browses and the shop reranks at once.
    // Every one-time cost (the backend's inference tables, kernel compilation, the representation cache)
    // must already be paid at load: the first stored event's step and the first score wait for nothing.
    await boot(page, server, { dbName: `rt-first-${backend}`, consent: { storage: 'granted', personalization: 'granted' }, backend });
    await page.evaluate(() => (window as any).perch.ready());
    await expect.poll(() => modelVersion(page), { timeout: 90_000 }).not.toBeNull();
    expect((await audit(page)).model.backend).toBe(backend);
    await trackHistory(page, categoryHistory(catalog));
    // No timeoutMs: the default 200 ms budget applies to this very first call.
    const r = await page.evaluate((list) => (window as any).perch.rerank(list, { blend: 1 }), mixedList(catalog));
    expect(r.personalized, r.reason).toBe(true);
    expect(r.items[0].item.item_category).toBe(catalog.category);
  });
}

test('rerank() reports its impression with shown and original positions, personalised or not', async ({ page, server, catalog, errors }) => {
  await boot(page, server, { dbName: 'rt-impression', consent: { storage: 'granted', personalization: 'granted' }, backend: 'cpu' });
  await trackHistory(page, categoryHistory(catalog));
  await expect.poll(() => modelVersion(page), { timeout: 60_000 }).not.toBeNull();
  const list = mixedList(catalog).map((i, k) => ({ ...i, item_name: `Product ${k}`, price: 10 + k }));

  const r = await page.evaluate((l) => (window as any).perch.rerank(l, { blend: 1, listId: 'search-results', timeoutMs: 5_000 }), list);
  expect(r.personalized, r.reason).toBe(true);
  let imps = await impressions(page);
  expect(imps).toHaveLength(1);
  const shown = imps[0];
  expect(shown.list).toBe('search-results');
  expect(shown.items).toHaveLength(list.length);
  shown.items.forEach((it: any, pos: number) => {
    expect(it.index).toBe(pos);
    expect(it.originalIndex).toBe(r.items[pos].originalIndex);
    expect(it.id).toBe(r.items[pos].item.item_id);
    expect(it.category).toBe(r.items[pos].item.item_category);
  });
  expect(shown.items.some((it: any) => it.index !== it.originalIndex)).toBe(true);
  expect(JSON.stringify(shown)).not.toContain('Product '); // names never stored

  // Personalization withdrawn: the shop's order was shown, and that impression is recorded too
  // (under the page path when the shop gives no list id).
  await page.evaluate(() => (window as any).perch.consent.set({ personalization: 'denied' }));
  const plain = await page.evaluate((l) => (window as any).perch.rerank(l), list);
  expect(plain.personalized).toBe(false);
  imps = await impressions(page);
  expect(imps).toHaveLength(2);
  expect(imps[1].list).toBe('/p/shop.html');
  imps[1].items.forEach((it: any, pos: number) => expect([it.index, it.originalIndex]).toEqual([pos, pos]));

  // A shop that sends its own view_item_list turns it off.
  await page.evaluate((l) => (window as any).perch.rerank(l, { reportImpression: false }), list);
  expect(await impressions(page)).toHaveLength(2);
  expect((await audit(page)).rejected.total).toBe(0);
  expect(errors).toEqual([]);
});

test('without storage consent a rerank impression is not stored', async ({ page, server, catalog }) => {
  await boot(page, server, { dbName: 'rt-no-storage', consent: { storage: 'denied', personalization: 'granted' }, backend: 'cpu' });
  const r = await page.evaluate((l) => (window as any).perch.rerank(l), mixedList(catalog));
  expect(r.personalized).toBe(false);
  const a = await audit(page);
  expect(a.held).toBe(0);
  expect(a.storage.events).toBe(0);
  expect(await page.evaluate(() => indexedDB.databases().then((d) => d.map((x) => x.name)))).not.toContain('rt-no-storage');
});
