// One shopper's device: its own browser context (own IndexedDB), the standard snippet page served by the
// static SDK server, `perch.init(config)` and a stored history of real `track()` calls.
import type { Browser, BrowserContext, Page } from '@playwright/test';
import type { AuditReport } from '@perch/sdk';
import { snippet } from '@perch/sdk';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../../support/build-sdk.mjs';
// @ts-expect-error plain ESM helper without types
import { startStaticServer } from '../../support/static-server.mjs';

export interface SdkServer { origin: string; close(): Promise<void> }

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>perch federated</title><script>${snippet('/dist/perch.iife.js')}</script></head><body></body></html>`;

export async function startSdkServer(): Promise<SdkServer> {
  ensureSdkBuilt();
  return (await startStaticServer({ '/p/fed.html': PAGE })) as SdkServer;
}

type PerchWindow = Window & { perch: { loaded?: boolean; init(c: unknown): Promise<void>; track(n: string, p: unknown): boolean; flush(): Promise<void>; audit(): Promise<AuditReport> } };

export interface Device {
  context: BrowserContext;
  page: Page;
  /** Bodies of the POST requests the browser reported for this context (worker requests included). */
  posts: Buffer[];
  /** URLs of every request the browser reported for this context. */
  urls: string[];
  audit(): Promise<AuditReport>;
}

/** One tracked event: GA4 name, item ids, list id. */
export type Tracked = [name: string, ids: string[], list?: string];

export async function openDevice(browser: Browser, server: SdkServer, config: Record<string, unknown>, history: Tracked[], opts: { gpc?: boolean } = {}): Promise<Device> {
  const context = await browser.newContext();
  if (opts.gpc) {
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }));
  }
  const posts: Buffer[] = [], urls: string[] = [];
  context.on('request', (r) => {
    urls.push(r.url());
    if (r.method() === 'POST') posts.push(r.postDataBuffer() ?? Buffer.alloc(0));
  });
  const page = await context.newPage();
  await page.goto(`${server.origin}/p/fed.html`);
  await page.waitForFunction(() => (window as unknown as PerchWindow).perch?.loaded === true);
  await page.evaluate(async ({ cfg, history }) => {
    const p = (window as unknown as PerchWindow).perch;
    await p.init(cfg);
    for (const [name, ids, list] of history) {
      p.track(name, { ...(list ? { item_list_id: list } : {}), items: ids.map((id) => ({ item_id: id, ...(list ? { item_list_id: list } : {}) })) });
    }
    await p.flush();
  }, { cfg: config, history });
  return { context, page, posts, urls, audit: () => page.evaluate(() => (window as unknown as PerchWindow).perch.audit()) };
}

/** A history over the aggregator's built-in tiny vocabulary (`item-1` … `item-50`), different per seed. */
export function historyFor(seed: number, n = 12): Tracked[] {
  const out: Tracked[] = [];
  for (let i = 0; i < n; i++) {
    const id = `item-${1 + ((seed * 7 + i * 3) % 50)}`;
    out.push([i % 4 === 3 ? 'add_to_cart' : 'view_item', [id], `list-${seed}-home`]);
  }
  return out;
}

export const consentAll = { storage: 'granted', personalization: 'granted', training: 'granted' };
