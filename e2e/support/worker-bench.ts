// A bench page that runs one module worker: the worker entry built alone with Vite (minified, ES module) into
// `outDir` beside an empty page, served on 127.0.0.1, opened in a fresh Chromium. The benches then drive
// the worker through `page.evaluate` with their own protocol.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Page } from 'playwright';
import { build } from 'vite';
import { startBenchServer } from './model-bench/server.js';
// @ts-expect-error plain ESM helper without types
import { CHROMIUM_ARGS, findChromium } from './chromium.mjs';

export interface WorkerBench {
  /** The open page; the worker script is at `/worker.js`. */
  page: Page;
  close(): Promise<void>;
}

export async function openWorkerBench(entry: string, outDir: string, title: string): Promise<WorkerBench> {
  await build({
    configFile: false, logLevel: 'warn', root: dirname(entry),
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: true, sourcemap: false,
      lib: { entry, formats: ['es'], fileName: () => 'worker.js' } },
  });
  writeFileSync(join(outDir, 'index.html'), `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body></body></html>`);
  const http = await startBenchServer(outDir);
  const browser = await chromium.launch({ executablePath: findChromium() as string, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${http.origin}/`);
    return { page, close: async () => { await browser.close(); await http.close(); } };
  } catch (e) {
    await browser.close();
    await http.close();
    throw e;
  }
}
