// `pnpm bench track`: main-thread cost of track() and time to persist 10,000 events, in headless Chromium
// against the real loader, worker and IndexedDB. The page is cross-origin isolated so performance.now()
// has 5 µs resolution (100 µs otherwise), which bounds the precision of the per-call figures; the mean
// over the whole burst is printed too, from one timer around all calls, and the mean of the fastest
// 1,000-call task (`main_best_chunk_mean_us`), which shows the cost when no other process preempts the page.
// The burst is 10 tasks of 1,000 calls (events arrive from user interactions, not one 10,000-call loop).
import { chromium } from 'playwright';
// @ts-expect-error plain ESM helper without types
import { CHROMIUM_ARGS, findChromium } from '../support/chromium.mjs';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../support/build-sdk.mjs';
// @ts-expect-error plain ESM helper without types
import { startStaticServer } from '../support/static-server.mjs';
import { snippet } from '@perch/sdk';

ensureSdkBuilt();
const server = await startStaticServer({
  '/bench.html': `<!doctype html><meta charset="utf-8"><script>${snippet('/dist/perch.iife.js')}</script>`,
});
const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS, headless: true });
try {
  const page = await browser.newPage();
  // tsx compiles this file with keepNames, which wraps the functions below in `__name(...)` calls.
  await page.addInitScript('window.__name = (f) => f');
  await page.goto(`${server.origin}/bench.html?coi=1`);
  await page.waitForFunction(() => (window as any).perch?.loaded === true);
  const r = await page.evaluate(async () => {
    const p = (window as any).perch;
    await p.init({ dbName: 'bench', consent: { storage: 'granted' }, retention: { maxEvents: 20_000 } });
    // Warm-up (JIT, first batch, IndexedDB open), then clear it away.
    for (let i = 0; i < 500; i++) p.track('view_item', { items: [{ item_id: `w${i}` }] });
    await p.flush();
    await p.forget();
    const N = 10_000;
    const times = new Float64Array(N);
    const props = Array.from({ length: N }, (_, i) => ({
      items: [{ item_id: `sku-${i % 977}`, item_category: ['Shoes', 'Hats', 'Bags'][i % 3], price: (i % 200) + 0.99, index: i % 24 }],
      item_list_id: 'home',
    }));
    // Payloads are built before observing, so the harness's own allocation is not counted as Perch's task.
    await new Promise((res) => setTimeout(res, 50));
    let longest = 0;
    const longTasks: number[][] = [];
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        longest = Math.max(longest, e.duration);
        longTasks.push([Math.round(e.startTime - start), Math.round(e.duration)]);
      }
    });
    obs.observe({ type: 'longtask' });
    let busy = 0;
    const chunks: number[] = [];
    const start = performance.now();
    for (let c = 0; c < N; c += 1_000) {
      const t0 = performance.now();
      for (let i = c; i < c + 1_000; i++) {
        const s = performance.now();
        p.track(i % 4 ? 'view_item' : 'select_item', props[i]);
        times[i] = performance.now() - s;
      }
      busy += performance.now() - t0;
      chunks.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, 0));
    }
    await p.flush();
    const persist = performance.now() - start;
    await new Promise((res) => setTimeout(res, 200));
    obs.disconnect();
    const stored = (await p.audit()).storage.events;
    const sorted = Array.from(times).sort((a, b) => a - b);
    const q = (f: number) => sorted[Math.min(N - 1, Math.floor(f * N))] as number;
    const top = Array.from(times).map((t, i) => [i, Math.round(t * 1000)]).sort((a, b) => (b[1] as number) - (a[1] as number)).slice(0, 12);
    return { median: q(0.5), p95: q(0.95), mean: busy / N, persist, longest, stored, isolated: crossOriginIsolated, top, chunks, longTasks };
  });
  if (r.stored !== 10_000) throw new Error(`expected 10,000 stored events, found ${r.stored}`);
  console.error(`cross-origin isolated: ${r.isolated}; slowest calls [index, us]: ${JSON.stringify(r.top)}`);
  console.error(`1,000-call chunks (ms): ${JSON.stringify(r.chunks.map((c: number) => Math.round(c)))}; long tasks [start ms, duration ms]: ${JSON.stringify(r.longTasks)}`);
  const out = (metric: string, value: number, unit: string) =>
    console.log(JSON.stringify({ bench: 'track', metric, value: Math.round(value * 100) / 100, unit }));
  out('main_p95_us', r.p95 * 1000, 'us');
  out('main_median_us', r.median * 1000, 'us');
  out('main_mean_us', r.mean * 1000, 'us');
  // The least disturbed 1,000-call task: per-call cost without preemption by other processes.
  out('main_best_chunk_mean_us', Math.min(...r.chunks), 'us');
  out('persist_10k_ms', r.persist, 'ms');
  out('longest_main_task_ms', r.longest, 'ms');
} finally {
  await browser.close();
  await server.close();
}
