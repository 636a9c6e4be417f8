// `pnpm bench catalog`: what a 1,000,000-product catalogue costs a device (issue 29). The synthetic catalogue of
// e2e/support/catalog-1m/ and its bounded export (id rows for the 12,288 most popular items, 8,192 hashed
// attribute rows, random weights: cost, not accuracy) are served to the real SDK worker in headless Chromium on the
// cpu backend. Figures: every byte the device fetches before its first rerank (the manifest and every file it
// lists), the first rerank after `loadModel()` resolved, the worker-side p95 of reranking 200 items drawn from the
// whole catalogue (mostly outside the vocabulary: scored from their hashed category and brand rows) after a stored
// history of 50 catalogue events, and the worker's memory. The page is cross-origin isolated (5 µs timers,
// measureUserAgentSpecificMemory).
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright';
import { Rng } from '@perch/model/rng';
// @ts-expect-error plain ESM helper without types
import { CHROMIUM_ARGS, findChromium } from '../support/chromium.mjs';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../support/build-sdk.mjs';
import { CATALOG_DIMS, ensureCatalogModel } from '../support/catalog-1m/model.js';
import { catalogItem, generateCatalog, zipfRank } from '../support/catalog-1m/generate.js';
import { startRerankServer } from '../rerank/support/server.js';
import { openWorkerPage, WORKER_PAGE } from '../rerank/support/worker-page.js';

const RUNS = 300;
const LIST = 200;
const HISTORY = 50;
const MiB = 1024 * 1024;
const emit = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ bench: 'catalog', metric, value: Math.round(value * 1000) / 1000, unit, backend: 'cpu', ...extra }));

interface Candidate { id: string; category: string; brand: string }

/** The list and the history, drawn from the catalogue; the catalogue's columns are dropped after this. */
async function drawFromCatalogue(): Promise<{ modelDir: string; list: Candidate[]; history: Candidate[]; inHead: number }> {
  const cat = generateCatalog();
  const modelDir = await ensureCatalogModel(cat);
  const rng = new Rng(7);
  const asCandidate = (i: number): Candidate => { const it = catalogItem(cat, i); return { id: it.item_id, category: it.item_category, brand: it.item_brand }; };
  // A category page or search result: 200 distinct items drawn uniformly from the catalogue, so ~1 % are head items.
  const picked = new Set<number>();
  while (picked.size < LIST) picked.add(rng.int(cat.size));
  const list = [...picked].map(asCandidate);
  // What a shopper looks at follows popularity: many head items, some from the long tail.
  const history = Array.from({ length: HISTORY }, () => asCandidate(zipfRank(rng, cat.size)));
  return { modelDir, list, history, inHead: [...picked].filter((i) => i < CATALOG_DIMS.numItems).length };
}

ensureSdkBuilt();
const { modelDir, list, history, inHead } = await drawFromCatalogue();
const server = await startRerankServer(modelDir);
server.isolated = true;
server.page('/p/worker.html', WORKER_PAGE);
const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS, headless: true });
try {
  const page = await openWorkerPage(browser, server.origin);
  server.log.length = 0;
  const r = await page.evaluate(async ({ origin, list, history, RUNS }) => {
    const w = window as any;
    await w.startWorker(`bench-catalog-${Date.now()}`);
    const t = Date.now() - 3_600_000;
    // A returning shopper: the history is stored before the model loads (the state is rebuilt at load).
    const events = history.map((it: Candidate, k: number) => ({ v: 1, type: k % 5 === 4 ? 'add_to_cart' : 'view_item', ts: t + k * 30_000, items: [it] }));
    await w.api.write({ events, rejections: [], consent: [] });
    const l0 = performance.now();
    const status = await w.api.loadModel({ url: `${origin}/model/manifest.json`, wasmPaths: `${origin}/wasm/`, backend: 'cpu' });
    const loadMain = performance.now() - l0;
    const req = { items: list, options: {}, personalization: 'granted' };
    const f0 = performance.now();
    const first = await w.api.rerank(req);
    const firstMain = performance.now() - f0;
    for (let i = 0; i < 20; i++) await w.api.rerank(req);
    const inWorker: number[] = [];
    for (let i = 0; i < RUNS; i++) inWorker.push((await w.api.rerank(req)).workerMs);
    let memory: { bytes: number; worker: number } | null = null;
    if ((performance as any).measureUserAgentSpecificMemory && crossOriginIsolated) {
      const m = await Promise.race([(performance as any).measureUserAgentSpecificMemory(), new Promise((res) => setTimeout(() => res(null), 60_000))]) as any;
      if (m) memory = { bytes: m.bytes, worker: m.breakdown.filter((b: any) => b.attribution.some((a: any) => a.scope === 'DedicatedWorkerGlobalScope')).reduce((s: number, b: any) => s + b.bytes, 0) };
    }
    const q = (xs: number[], f: number): number => xs.slice().sort((a, b) => a - b)[Math.floor(f * xs.length)] ?? NaN;
    return { status, loadMain, first: { main: firstMain, worker: first.workerMs, personalized: first.personalized, reason: first.reason }, p95: q(inWorker, 0.95), median: q(inWorker, 0.5), memory, isolated: crossOriginIsolated };
  }, { origin: server.origin, list, history, RUNS });
  console.error(`status ${JSON.stringify(r.status)}; isolated ${r.isolated}; first reply personalized ${r.first.personalized}${r.first.reason ? ` (${r.first.reason})` : ''}`);
  if (r.status.state !== 'ready') throw new Error(`the model did not load: ${r.status.error}`);

  const fetched = server.log.filter((l) => l.status === 200).map((l) => l.path);
  const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as { files: { path: string }[] };
  const missing = ['manifest.json', ...manifest.files.map((f) => f.path)].filter((p) => !fetched.includes(p));
  if (missing.length) throw new Error(`the device did not fetch ${missing.join(', ')}`);
  const bytes = fetched.reduce((s, p) => s + statSync(join(modelDir, p)).size, 0);
  const gzip = fetched.reduce((s, p) => s + gzipSync(readFileSync(join(modelDir, p))).length, 0);
  emit('download_bytes_1m', bytes, 'bytes', { gzip_bytes: gzip, files: fetched.length, target: '<= 2 MB', what: 'manifest.json and every file it lists, as served (no transfer compression), before the first rerank; the SDK scripts not included' });
  emit('first_rerank_ms_1m', r.first.main, 'ms', { worker_ms: r.first.worker, personalized: r.first.personalized, load_ms: r.status.loadMs, load_main_ms: r.loadMain, warm_ms: r.status.warmMs, target: '<= 200 ms',
    what: 'first rerank of 200 catalogue items after loadModel() resolved, from the main thread; load_ms is the worker\'s loadMs: fetch + sha256 verify + decode + backend init + warm-up + intent rebuild from 50 stored events' });
  emit('rerank_p95_ms_1m', r.p95, 'ms', { median_ms: r.median, items: LIST, in_vocab: inHead, runs: RUNS, history_events: HISTORY, target: '<= 3 ms', what: 'worker-side time of rerank(), 200 items drawn uniformly from 1,000,000' });
  if (r.memory) emit('worker_mb_1m', r.memory.worker / MiB, 'MiB', { page_total_mib: Math.round((r.memory.bytes / MiB) * 10) / 10, target: '<= 64 MiB', source: 'performance.measureUserAgentSpecificMemory (dedicated workers)' });
  else console.error('measureUserAgentSpecificMemory unavailable or timed out: no memory figure');
} finally {
  await browser.close();
  await server.close();
}
