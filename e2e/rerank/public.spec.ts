// The public API end to end: the real loader (snippet + perch.iife.js), `init({ modelUrl, backend })`,
// `track()` into IndexedDB, and `perch.rerank()` / `perch.intent()` / `perch.audit()` through the page's
// time budget and the worker.
import { snippet } from '@perch/sdk';
import type { Page } from '@playwright/test';
import { categoryHistory, expect, mixedList, test } from './fixtures.js';
import type { RerankServer } from './support/server.js';

const PAGE = `<!doctype html><meta charset="utf-8"><script>${snippet('/dist/perch.iife.js')}</script>`;

async function boot(page: Page, server: RerankServer, db: string, extra: Record<string, unknown> = {}): Promise<void> {
  server.page('/p/shop.html', PAGE);
  await page.goto(`${server.origin}/p/shop.html`);
  await page.waitForFunction(() => (window as any).perch?.loaded === true);
  await page.evaluate((cfg) => (window as any).perch.init(cfg), {
    dbName: db, consent: { storage: 'granted', personalization: 'granted' }, modelUrl: '/model/manifest.json', backend: 'cpu', ...extra,
  });
}

test('perch.rerank() personalises after track(), explains from real events, keeps pins, and honours budget and consent', async ({ page, server, catalog, errors }) => {
  await boot(page, server, 'rr-public');
  const history = categoryHistory(catalog);
  await page.evaluate((evs) => {
    const p = (window as any).perch;
    for (const e of evs) p.track(e.type, { items: e.items.map((i: any) => ({ item_id: i.id, item_category: i.category })) });
    return p.flush();
  }, history);
  await expect.poll(async () => (await page.evaluate(() => (window as any).perch.audit())).model?.version ?? null, { timeout: 60_000 }).not.toBeNull();
  const list = mixedList(catalog);
  const r = await page.evaluate(({ list }) => (window as any).perch.rerank(list, { blend: 1, pinned: [0], timeoutMs: 5_000 }), { list });
  expect(r.personalized, r.reason).toBe(true);
  expect(r.items[0].originalIndex).toBe(0);
  expect(r.items[0].item).toEqual(list[0]);
  const top = r.items.slice(1, 11).filter((x: any) => x.item.item_category === catalog.category).length;
  expect(top).toBeGreaterThanOrEqual(6);
  const seen = new Set(history.map((e) => e.items[0]!.id));
  for (const x of r.items) {
    expect(x.attribution).toMatch(/^prk1-/);
    for (const m of String(x.explanation ?? '').matchAll(/you (?:viewed|added) (\S+)/g)) expect(seen.has(m[1]!)).toBe(true);
  }
  // The token passes the event boundary on a later event.
  expect(await page.evaluate((t) => (window as any).perch.track('select_item', { items: [{ item_id: 'x' }], attribution: t }), r.items[1].attribution)).toBe(true);
  const profile = await page.evaluate(() => (window as any).perch.intent());
  expect(profile.categories[0].id).toBe(catalog.category);
  const audit = await page.evaluate(() => (window as any).perch.audit());
  expect(audit.model.backend).toBe('cpu');
  expect(audit.model.sha256).toMatch(/^[0-9a-f]{64}$/);

  // Over budget: the shop's order.
  const late = await page.evaluate(({ list }) => (window as any).perch.rerank(list, { blend: 1, timeoutMs: 0 }), { list });
  expect(late.personalized).toBe(false);
  expect(late.reason).toMatch(/timeout/);
  expect(late.items.map((x: any) => x.item)).toEqual(list);

  // Personalization withdrawn: the shop's order.
  await page.evaluate(() => (window as any).perch.consent.set({ personalization: 'denied' }));
  const denied = await page.evaluate(({ list }) => (window as any).perch.rerank(list, { blend: 1 }), { list });
  expect(denied.personalized).toBe(false);
  expect(denied.items.map((x: any) => x.item)).toEqual(list);
  expect(errors).toEqual([]);
});

test('a model URL that never answers: perch.rerank() returns the shop order and audit() says why', async ({ page, server, catalog }) => {
  server.model = { down: true };
  try {
    await boot(page, server, 'rr-public-down');
    const list = mixedList(catalog);
    await expect.poll(async () => (await page.evaluate(() => (window as any).perch.audit())).model?.version ?? 'none', { timeout: 30_000 }).toBe('none');
    const r = await page.evaluate(({ list }) => (window as any).perch.rerank(list, { blend: 1 }), { list });
    expect(r.personalized).toBe(false);
    expect(r.reason).toMatch(/no model/);
    expect(r.items.map((x: any) => x.item)).toEqual(list);
  } finally {
    server.model = {};
  }
});
