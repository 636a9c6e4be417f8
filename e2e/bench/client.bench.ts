// `pnpm bench client` (browser side; packages/cli/bench/client.bench.ts is the Node side of the same group):
// one federated client round in a Chromium web worker, on the real Amazon Beauty vocabulary size (12,101 items,
// d = h = 64 of the trainer's defaults, random weights) and real Beauty device sequences (training prefixes of
// federated users), the default round recipe (FedSGD with the trainer's loss and a virtual batch, on the
// pretraining users' item counts): local training + clip/noise/int8/encode. Meanwhile the page records its
// long tasks (PerformanceObserver 'longtask', > 50 ms) and the largest gap between 4 ms timer ticks while the
// worker computes (from its 'ready' message to its answer), to show the round does not block the main thread;
// on a loaded 2-core machine a gap also includes time the renderer was not scheduled at all. One JSON line per figure; backend "worker-plain".
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSequenceFile } from '@perch/model/data';
import { DEFAULTS, dimsFor } from '@perch/model/plain';
import { popularity } from '@perch/model/eval';
import { DEFAULT_RECIPE } from '@perch/learn/client';
import { makePopulation } from '@perch/cli/simulate';
import type { ClientBenchReply, ClientBenchRequest } from '../federated/support/bench-worker.js';
import { openWorkerBench } from '../support/worker-bench.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const OUT = join(root, 'e2e', 'artifacts', 'client-bench');
const RUNS = Number(process.env.PERCH_BENCH_CLIENTS ?? 300), WARMUP = 30;

const dataDir = join(root, '..', 'shared', 'data', 'amazon-beauty');
const ds = parseSequenceFile(readFileSync(join(dataDir, 'Beauty.txt'), 'utf8'), 'Beauty.txt', readFileSync(join(dataDir, 'Beauty_item2attributes.json'), 'utf8'));
const pop = makePopulation(ds, { pretrainFraction: 0.05, evalUsers: 1, seed: 1 });
const dims = dimsFor(ds, DEFAULTS);
const seqs = pop.clients.slice(0, RUNS + WARMUP).map((s) => ({ items: [...s.items], kinds: [...s.kinds], gaps: [...s.gaps] }));

const bench = await openWorkerBench(join(root, 'e2e', 'federated', 'support', 'bench-worker.ts'), OUT, 'perch client bench');
try {
  const { page } = bench;
  const req: ClientBenchRequest = { dims, attrOffsets: ds.attrOffsets, attrIds: ds.attrIds, seqs, recipe: { ...DEFAULT_RECIPE }, counts: Array.from(popularity(pop.pretrain.train, dims.numItems)), warmup: WARMUP };
  // A string, not a function: tsx would wrap named inner functions in a `__name` helper the page lacks.
  await page.evaluate(`window.__req = ${JSON.stringify({ ...req, attrOffsets: [...req.attrOffsets], attrIds: [...req.attrIds] })}`);
  const res = (await page.evaluate(`(async () => {
    const r = window.__req;
    r.attrOffsets = Int32Array.from(r.attrOffsets); r.attrIds = Int32Array.from(r.attrIds);
    const w = new Worker('/worker.js', { type: 'module' });
    await new Promise((resolve, reject) => { w.onmessage = (e) => resolve(e.data); w.onerror = (e) => reject(new Error(e.message)); });
    const longTasks = [];
    const po = new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); });
    po.observe({ type: 'longtask', buffered: false });
    let maxGap = 0, last = performance.now(), ticking = true;
    const tick = () => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; if (ticking) setTimeout(tick, 4); };
    setTimeout(tick, 4);
    const t0 = performance.now();
    const reply = await new Promise((resolve, reject) => { w.onmessage = (e) => resolve(e.data); w.onerror = (e) => reject(new Error(e.message)); w.postMessage(r); });
    const wall = performance.now() - t0;
    ticking = false;
    await new Promise((x) => setTimeout(x, 100));
    po.disconnect();
    w.terminate();
    return { reply, longTasks, maxGap, wall };
  })()`)) as { reply: ClientBenchReply; longTasks: number[]; maxGap: number; wall: number };
  const q = (a: number[], f: number): number => { const s = a.slice().sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(f * s.length))]!; };
  const r = res.reply;
  const total = r.train.map((t, i) => t + r.pipeline[i]!);
  const emit = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void =>
    console.log(JSON.stringify({ bench: 'client', metric, value: Number(value.toFixed(3)), unit, backend: 'worker-plain', ...extra }));
  console.error(`client bench (browser worker): ${r.train.length} devices after ${WARMUP} warm-up, V=${dims.numItems} d=${dims.dim} h=${dims.hidden}, ${r.values} dense values, ${r.bytes} B per upload, recipe ${JSON.stringify(DEFAULT_RECIPE)}, wall ${(res.wall / 1000).toFixed(1)} s`);
  emit('local_round_ms', q(total, 0.5), 'ms', { runs: total.length });
  emit('local_round_p95_ms', q(total, 0.95), 'ms');
  emit('local_train_ms', q(r.train, 0.5), 'ms');
  emit('update_pipeline_ms', q(r.pipeline, 0.5), 'ms');
  emit('longest_main_task_ms', res.longTasks.length ? Math.max(...res.longTasks) : 0, 'ms', { long_tasks: res.longTasks.length, note: '0 = no task over 50 ms' });
  emit('main_thread_max_gap_ms', res.maxGap, 'ms');
} finally {
  await bench.close();
}
