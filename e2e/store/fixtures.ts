// Fixtures for the demo-store suite: the SDK is built, the store is built with Vite (production build, the
// small real model served same-origin under /perch/model/) and served by `vite preview` on a free port of
// 127.0.0.1, once per Playwright worker. Never depends on port 5173. The store pins the public key of a signing key
// made before the build (as `npm start` does): the federated store spec starts its aggregator with that key file.
import { test as base, expect, type Page } from '@playwright/test';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExportedData } from '@perch/sdk';
import { ensureKeyFile } from '@perch/aggregator';
import { ensureSmallModel } from '../rerank/support/model.js';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../support/build-sdk.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const storeDir = join(root, 'demo-store');

export interface Store {
  origin: string;
  /** The store was built to reach its aggregator at http://127.0.0.1:<aggregatorPort> (nothing listens there
   *  unless a spec starts one: the federated store spec puts a recording proxy in front of a real aggregator). */
  aggregatorPort: number;
  /** Every file the built store serves ('/index.html', '/assets/…', '/catalog.json', '/perch/…'). */
  files: Set<string>;
  /** The aggregator's signing key file (pass it with `--signing-key`); its public key is pinned in federated mode. */
  signingKey: string;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function walk(dir: string, base = dir, out = new Set<string>()): Set<string> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, base, out);
    else out.add('/' + relative(base, p).split('\\').join('/'));
  }
  return out;
}

async function startStore(): Promise<Store> {
  ensureSdkBuilt();
  process.env.PERCH_MODEL_DIR = ensureSmallModel();
  const outDir = mkdtempSync(join(tmpdir(), 'perch-store-'));
  const aggregatorPort = await freePort();
  process.env.VITE_PERCH_AGGREGATOR = `http://127.0.0.1:${aggregatorPort}`;
  const signingKey = `${outDir}-signing-key.json`; // beside the build, never served
  process.env.VITE_PERCH_MODEL_KEYS = ensureKeyFile(signingKey).key.publicKey;
  const vite = await import('vite');
  const configFile = join(storeDir, 'vite.config.ts');
  await vite.build({ configFile, root: storeDir, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const port = await freePort();
  const server = await vite.preview({ configFile, root: storeDir, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true } });
  return {
    origin: `http://127.0.0.1:${port}`,
    aggregatorPort,
    files: walk(outDir),
    signingKey,
    close: async () => {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
      rmSync(signingKey, { force: true });
    },
  };
}

export const test = base.extend<{ errors: string[] }, { store: Store }>({
  store: [
    async ({}, use) => {
      const s = await startStore();
      await use(s);
      await s.close();
    },
    { scope: 'worker', timeout: 600_000 },
  ],
  errors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await use(errors);
  },
});
export { expect };

type PW = Window & { perch: { loaded?: boolean; flush(): Promise<void>; exportData(): Promise<ExportedData>; audit(): Promise<unknown>; intent(): Promise<unknown> } };

/** Opens `path` (hash route and query, e.g. "/?consent=all#/cart") and waits for the page and the SDK. */
export async function open(page: Page, store: Store, path = '/'): Promise<void> {
  await page.goto(store.origin + path);
  await waitRoute(page);
  await page.waitForFunction(() => (window as unknown as PW).perch?.loaded === true);
}

/** Waits until the current hash route finished rendering (main[data-ready] is set after each route). */
export async function waitRoute(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const m = document.getElementById('main');
    return !!m && m.dataset.ready === (location.hash || '#/');
  });
}

/** Navigates inside the app by hash and waits for the render. */
export async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  await waitRoute(page);
}

/** Stored events (after a flush), from the public exportData(). */
export async function stored(page: Page): Promise<{ type: string; ts: number; list?: string; items: { id: string; list?: string }[] }[]> {
  return page.evaluate(async () => {
    const p = (window as unknown as PW).perch;
    await p.flush();
    return (await p.exportData()).events as never;
  });
}

export function databases(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''));
}
