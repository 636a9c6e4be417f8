// Fixtures for the reranking suites: one server per Playwright worker (SDK build, wasm binaries, the small
// real model), a page that starts the real SDK worker and talks to it through comlink (the worker API the
// public `perch.rerank()` uses), and helpers to store events and rerank through it.
import { test as base, expect, type Page } from '@playwright/test';
import type { PerchEvent, ModelLoadOptions, ModelStatus, RerankReply, RerankRequest } from '@perch/sdk/internal';
import type { IntentProfile } from '@perch/sdk';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../support/build-sdk.mjs';
import { buildCatalog, type Catalog } from './support/catalog.js';
import { ensureSmallModel } from './support/model.js';
import { startRerankServer, type RerankServer } from './support/server.js';
import { WORKER_PAGE } from './support/worker-page.js';



export const test = base.extend<{ errors: string[] }, { server: RerankServer; catalog: Catalog }>({
  server: [
    async ({}, use) => {
      ensureSdkBuilt();
      const s = await startRerankServer(ensureSmallModel());
      s.page('/p/worker.html', WORKER_PAGE);
      await use(s);
      await s.close();
    },
    { scope: 'worker', timeout: 600_000 },
  ],
  catalog: [async ({}, use) => use(buildCatalog()), { scope: 'worker' }],
  errors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await use(errors);
  },
});
export { expect };

type W = Window & { startWorker(db: string): Promise<unknown>; killWorker(): void; api: any; perchWorker: Worker | null };

/** Opens the fixture page and starts the real SDK worker on database `db`. */
export async function startWorker(page: Page, server: RerankServer, db: string): Promise<void> {
  if (!page.url().startsWith(server.origin)) {
    await page.goto(`${server.origin}/p/worker.html`);
    await page.waitForFunction(() => (window as any).fixtureReady === true);
  }
  await page.evaluate((d) => (window as unknown as W).startWorker(d), db);
}

/** Model options for the fixture server (the wasm binaries at /wasm/). */
export function modelOptions(server: RerankServer, extra: Partial<ModelLoadOptions> = {}): ModelLoadOptions {
  return { url: `${server.origin}/model/manifest.json`, wasmPaths: `${server.origin}/wasm/`, ...extra };
}

export function loadModel(page: Page, opts: ModelLoadOptions): Promise<ModelStatus> {
  return page.evaluate((o) => (window as unknown as W).api.loadModel(o), opts);
}

export function modelStatus(page: Page): Promise<ModelStatus> {
  return page.evaluate(() => (window as unknown as W).api.modelStatus());
}

/** Stores events through the worker's write path (the same one the page's outbox uses). */
export async function store(page: Page, events: PerchEvent[]): Promise<void> {
  await page.evaluate((evs) => (window as unknown as W).api.write({ events: evs, rejections: [], consent: [] }), events);
}

export function rerank(page: Page, req: RerankRequest): Promise<RerankReply> {
  return page.evaluate((r) => (window as unknown as W).api.rerank(r), req);
}

export function intent(page: Page): Promise<IntentProfile> {
  return page.evaluate(() => (window as unknown as W).api.intent());
}

export function killWorker(page: Page): Promise<void> {
  return page.evaluate(() => (window as unknown as W).killWorker());
}

/** A stored-event shape for item `id` of `category`. */
export function ev(type: PerchEvent['type'], id: string, category: string, ts: number): PerchEvent {
  return { v: 1, type, ts, items: [{ id, category }] };
}

/** The history of the tests: the shopper views and carts items of one category. */
export function categoryHistory(c: Catalog, t0 = Date.now() - 600_000): PerchEvent[] {
  const seen = c.inCategory.slice(0, 6);
  const out: PerchEvent[] = [];
  seen.forEach((it, k) => {
    out.push(ev('view_item', it.item_id, it.item_category, t0 + k * 20_000));
    if (k % 2 === 0) out.push(ev('add_to_cart', it.item_id, it.item_category, t0 + k * 20_000 + 5_000));
  });
  return out;
}

/** A mixed list (40 items): 10 of the category (not seen), 30 others, the category's last in the shop's order. */
export function mixedList(c: Catalog): { item_id: string; item_category: string }[] {
  return [...c.others.slice(0, 30), ...c.inCategory.slice(6, 16)];
}
