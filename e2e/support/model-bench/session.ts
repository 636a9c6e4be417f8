// One benchmark session: build the worker bundle, serve it on 127.0.0.1, open Chromium on the blank page.
import { chromium, type Browser, type Page } from 'playwright';
// @ts-expect-error plain ESM helper without types
import { CHROMIUM_ARGS, findChromium } from '../chromium.mjs';
import { buildModelBench } from './build.js';
import { startBenchServer, type BenchServer } from './server.js';

export interface BenchSession {
  page: Page;
  close(): Promise<void>;
}

export async function openBenchSession(): Promise<BenchSession> {
  const server: BenchServer = await startBenchServer(await buildModelBench());
  const executablePath = findChromium() as string | undefined;
  if (!executablePath) throw new Error('no Chromium found (set PERCH_CHROMIUM)');
  const browser: Browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
  await page.goto(`${server.origin}/`);
  return {
    page,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
