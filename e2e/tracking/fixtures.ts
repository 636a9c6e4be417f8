// Shared fixtures for the tracking suites: one static server per Playwright worker (serving the real
// SDK build), fixture pages built from the real snippet string, and a page-error collector.
import { test as base, expect, type Page } from '@playwright/test';
import type { PerchApi } from '@perch/sdk';
import { snippet } from '@perch/sdk';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../support/build-sdk.mjs';
// @ts-expect-error plain ESM helper without types
import { startStaticServer } from '../support/static-server.mjs';

export interface Server {
  origin: string;
  port: number;
  page(path: string, html: string): string;
  close(): Promise<void>;
}

/** What the fixture pages see: the real API on `window.perch`. */
export type PerchWindow = Window & { perch: PerchApi & { loaded?: boolean; invoked?: boolean } };

export const LOADER = '/dist/perch.iife.js';

/** A page with the snippet in <head>, then `body` (inline scripts that may call the stub). */
export function html(opts: { head?: string; body?: string; loader?: string; snippets?: number } = {}): string {
  const tag = `<script>${snippet(opts.loader ?? LOADER)}</script>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>perch fixture</title>${tag.repeat(opts.snippets ?? 1)}${opts.head ?? ''}</head><body>${opts.body ?? ''}</body></html>`;
}

export const test = base.extend<{ errors: string[] }, { server: Server }>({
  server: [
    async ({}, use) => {
      ensureSdkBuilt();
      const s = (await startStaticServer({ '/p/std.html': html() })) as Server;
      await use(s);
      await s.close();
    },
    { scope: 'worker' },
  ],
  errors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await use(errors);
  },
});
export { expect };

/** Opens the standard fixture page (or `path`) and waits until the loader replaced the stub. */
export async function open(page: Page, server: Server, path = '/p/std.html'): Promise<void> {
  await page.goto(server.origin + path);
  await page.waitForFunction(() => (window as unknown as PerchWindow).perch?.loaded === true);
}

/** Opens the page and runs `perch.init(config)`, resolved when ready. */
export async function boot(page: Page, server: Server, config: Record<string, unknown>, path?: string): Promise<void> {
  await open(page, server, path);
  await page.evaluate((cfg) => (window as unknown as PerchWindow).perch.init(cfg), config);
}

/** Names of the IndexedDB databases of the page's origin. */
export function databases(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''));
}

/** A valid GA4 event for item `id`. */
export function viewItem(id: string): [string, Record<string, unknown>] {
  return ['view_item', { items: [{ item_id: id, item_category: 'Shoes', price: 49.9 }] }];
}
