// `pnpm bench rerank`: reranking 200 items with the real SDK worker and the small real Beauty model in
// headless Chromium, per backend (cpu, wasm: the fallbacks every browser has), against the plain-TypeScript
// floor doing the same work (score 200 + blend/order/explain) in a worker; `step` per stored event; model
// load and verify; the first rerank after the model loaded; worker memory; the longest main-thread task
// during a 1,000-event session with reranks interleaved; and, for comparison, wasm with lists scored by
// tfjs on the backend. The page is cross-origin isolated (5 µs timers, measureUserAgentSpecificMemory).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { chromium } from 'playwright';
// @ts-expect-error plain ESM helper without types
import { CHROMIUM_ARGS, findChromium } from '../support/chromium.mjs';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../support/build-sdk.mjs';
import { buildCatalog } from '../rerank/support/catalog.js';
import { ensureSmallModel } from '../rerank/support/model.js';
import { startRerankServer } from '../rerank/support/server.js';
import { openWorkerPage, WORKER_PAGE } from '../rerank/support/worker-page.js';

const RUNS = 300;
const emit = (metric: string, value: number, unit: string, backend: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ bench: 'rerank', metric, value: Math.round(value * 1000) / 1000, unit, backend, ...extra }));

ensureSdkBuilt();
const modelDir = ensureSmallModel();
const floorDir = join(modelDir, '..', 'rerank-floor');
await build({ configFile: false, logLevel: 'warn', build: { outDir: floorDir, emptyOutDir: true, target: 'es2022', minify: false, lib: { entry: join(import.meta.dirname, '..', 'rerank', 'support', 'floor-worker.ts'), formats: ['es'], fileName: () => 'floor.js' } } });
const server = await startRerankServer(modelDir);
server.isolated = true;
server.page('/p/worker.html', WORKER_PAGE);
server.page('/p/floor.js', readFileSync(join(floorDir, 'floor.js'), 'utf8'));
const catalog = buildCatalog();
const items = [...catalog.others.slice(0, 150), ...catalog.inCategory.slice(6, 56)].map((i) => ({ id: i.item_id, category: i.item_category }));
const history = catalog.inCategory.slice(0, 50).map((i) => i.item_id);
const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS, headless: true });
try {
  const page = await openWorkerPage(browser, server.origin);
  const floorRun = (): Promise<{ p95: number; median: number; runs: number }> => page.evaluate((req) => new Promise<{ p95: number; median: number; runs: number }>((res) => {
    const w = new Worker('/p/floor.js', { type: 'module' });
    w.onmessage = (e) => { w.terminate(); res(e.data); };
    w.postMessage(req);
  }), { base: `${server.origin}/model/`, history, items, runs: RUNS });
  // The floor is measured before the backends and again after each one; its p95 and median are the medians
  // of those runs, so one preempted floor run on the shared cores does not skew every ratio.
  const floors = [await floorRun()];
  const mid = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1] as number;
  const floor = { get p95() { return mid(floors.map((f) => f.p95)); }, get median() { return mid(floors.map((f) => f.median)); } };

  // wasm+tfjs-scoring: the wasm backend with lists scored by the tfjs model on the backend too (the path
  // before scoring moved to the plain kernels; see packages/sdk/src/worker/serve/model/backend-model.ts).
  const ratios: (() => void)[] = [];
  const runs = [['cpu', 'cpu', false], ['wasm', 'wasm', false], ['wasm', 'wasm+tfjs-scoring', true]] as const;
  for (const [backend, label, scoreOnBackend] of runs) {
    const r = await page.evaluate(async ({ backend, scoreOnBackend, origin, items, history, RUNS, category }) => {
      const w = window as any;
      await w.startWorker(`bench-${backend}-${Date.now()}`);
      const t = Date.now() - 3_600_000;
      const ev = (type: string, id: string, k: number) => ({ v: 1, type, ts: t + k * 1000, items: [{ id, category }] });
      // A returning shopper: the history is stored before the model loads (the state is rebuilt at load).
      await w.api.write({ events: history.map((id: string, k: number) => ev('view_item', id, k)), rejections: [], consent: [] });
      const status = await w.api.loadModel({ url: `${origin}/model/manifest.json`, wasmPaths: `${origin}/wasm/`, backend, ...(scoreOnBackend ? { test: { scoreOnBackend: true } } : {}) });
      const req = { items, options: {}, personalization: 'granted' };
      const f0 = performance.now();
      const first = await w.api.rerank(req);
      const firstMain = performance.now() - f0;
      for (let i = 0; i < 20; i++) await w.api.rerank(req);
      const main: number[] = [], inWorker: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const reply = await w.api.rerank(req);
        main.push(performance.now() - t0);
        inWorker.push(reply.workerMs);
      }
      // A 1,000-event session: events stored in batches of 10 (as the outbox sends them), a rerank after each batch.
      let longest = 0;
      const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) longest = Math.max(longest, e.duration); });
      obs.observe({ type: 'longtask' });
      for (let b = 0; b < 100; b++) {
        const batch = Array.from({ length: 10 }, (_, k) => ev(k % 3 ? 'view_item' : 'add_to_cart', items[(b * 10 + k) % items.length]!.id, 100 + b * 10 + k));
        await w.api.write({ events: batch, rejections: [], consent: [] });
        await w.api.rerank(req);
        await new Promise((r) => setTimeout(r, 0));
      }
      await new Promise((r) => setTimeout(r, 100));
      obs.disconnect();
      const after = await w.api.modelStatus();
      let memory: { bytes: number; worker: number } | null = null;
      if ((performance as any).measureUserAgentSpecificMemory && crossOriginIsolated) {
        const m = await Promise.race([(performance as any).measureUserAgentSpecificMemory(), new Promise((r) => setTimeout(() => r(null), 60_000))]) as any;
        if (m) memory = { bytes: m.bytes, worker: m.breakdown.filter((b: any) => b.attribution.some((a: any) => a.scope === 'DedicatedWorkerGlobalScope')).reduce((s: number, b: any) => s + b.bytes, 0) };
      }
      const q = (xs: number[], f: number): number => xs.slice().sort((a, b) => a - b)[Math.floor(f * xs.length)] ?? NaN;
      return { status, after, first: { main: firstMain, worker: first.workerMs, personalized: first.personalized }, main95: q(main, 0.95), main50: q(main, 0.5), worker95: q(inWorker, 0.95), worker50: q(inWorker, 0.5), longest, memory, isolated: crossOriginIsolated };
    }, { backend, scoreOnBackend, origin: server.origin, items, history, RUNS, category: catalog.category });
    console.error(`${label}: status ${JSON.stringify(r.status)}; isolated ${r.isolated}`);
    floors.push(await floorRun());
    if (scoreOnBackend) {
      // Only the comparison figures: the rest is the same as the wasm run.
      ratios.push(() => emit('worker_p95_tfjs_scoring_ms', r.worker95, 'ms', backend, { median_ms: r.worker50, items: 200, runs: RUNS, ratio_p95: r.worker95 / floor.p95, ratio_median: r.worker50 / floor.median }));
      continue;
    }
    emit('worker_p95_ms', r.worker95, 'ms', backend, { median_ms: r.worker50, items: 200, runs: RUNS });
    emit('main_p95_ms', r.main95, 'ms', backend, { median_ms: r.main50, items: 200, runs: RUNS });
    ratios.push(() => emit('ratio_to_plain_floor', r.worker95 / floor.p95, 'x', backend, { ratio_median: r.worker50 / floor.median }));
    emit('first_ms', r.first.main, 'ms', backend, { worker_ms: r.first.worker, personalized: r.first.personalized, warm_ms: r.status.warmMs, what: 'first rerank after loadModel() resolved, from the main thread' });
    if (r.after.stepMs) emit('step_ms', r.after.stepMs.p95, 'ms', backend, { stat: 'p95', median_ms: r.after.stepMs.median, steps: r.after.stepMs.n });
    emit('model_load_ms', r.status.loadMs, 'ms', backend, { what: 'fetch + sha256 verify + decode + backend probe + warm-up + intent rebuild from 50 stored events, fresh model cache' });
    emit('longest_main_task_ms', r.longest, 'ms', backend, { events: 1000, reranks: 100 });
    if (r.memory) emit('worker_memory_bytes', r.memory.worker, 'bytes', backend, { source: 'performance.measureUserAgentSpecificMemory (dedicated workers)', page_total_bytes: r.memory.bytes });
    else console.error(`${backend}: measureUserAgentSpecificMemory unavailable or timed out: no memory figure`);
  }
  // Ratios once every floor run is in.
  for (const f of ratios) f();
  emit('plain_floor_p95_ms', floor.p95, 'ms', 'plain', { median_ms: floor.median, runs: RUNS, floor_runs: floors.length, p95_each: floors.map((f) => f.p95) });
} finally {
  await browser.close();
  await server.close();
}
