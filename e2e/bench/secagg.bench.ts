// `pnpm bench secagg`: the cost of one secure-aggregation round (SecAgg+, @perch/learn/secagg) at the issue's
// scale: a cohort of n = 1,000 devices with the default targets' k and t, the Beauty model's masked vector under the
// default secure-aggregation recipe (its trained tensors, padded for the rotation) at the default policy's bits,
// 30 % of the devices dropping during masking.
// - device_round_ms (backend chromium-worker): the device's four steps (advertise keys, share keys, masked input,
//   unmasking), each from the request's wire bytes to the reply's, for 3 real devices of the round, each in its
//   own fresh Chromium web worker (cold, as a device's one round per session is) with the library's Web Crypto
//   default; the median of their totals, the slowest as a note. Meanwhile the page records its long tasks (> 50 ms).
// - bytes_per_device: what device 0 uploads in the round, in the binary wire form (wire.ts); the download and
//   the per-step split are notes on the figure.
// - round_trips: extra device → server exchanges compared with a plain upload (protocol count: four steps, one of
//   which carries the vector a plain upload would send).
// - unmask_ms: SecAggServer.finish() for the whole round in Node, on the same saved state, with the aggregator's
//   native backend (node-crypto: all on the main thread, the default; node-crypto-2-threads: X25519 and keystreams
//   on two worker threads) and with the library's Web Crypto default (webcrypto); each sum is checked against the plain
//   sum of the survivors' vectors. Notes: the process's CPU time over all threads (cpu_ms) and the 1-minute load
//   average, since on a shared machine the wall time mostly says how much of the cores the run got.
// The other 997 devices run in Node with the native backend (simulation only; their time is not a figure).
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chooseParams, decodeReply, encodeRequest, SecAggDevice, SecAggServer, type DeviceReply, type WireContext,
} from '@perch/learn/secagg';
import { nodeSecAggBackend } from '@perch/aggregator';
import { SECAGG_TRAINED } from '@perch/learn/client';
import { rotationLayout } from '@perch/learn/ddg';
import { DEFAULT_SECAGG_POLICY } from '@perch/learn/privacy';
import { makeLayout, selectedSize } from '@perch/learn/update';
import { SHARED_DENSE_WEIGHTS, weightShapes } from '@perch/model/spec';
import type { SecAggBenchReply } from '../support/secagg-bench/worker.js';
import { openWorkerBench } from '../support/worker-bench.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const OUT = join(root, 'e2e', 'artifacts', 'secagg-bench');
// The masked vector of the Beauty model (d = h = 64, one category) under the default secure-aggregation recipe:
// its trained tensors only, padded for the rotation (item and attribute counts do not enter the dense tensors).
const BEAUTY = makeLayout(weightShapes({ dim: 64, hidden: 64, numItems: 1, numAttrs: 1, numCategories: 1 }), SHARED_DENSE_WEIGHTS);
const N = Number(process.env.PERCH_BENCH_SECAGG_N ?? 1000), D = rotationLayout(selectedSize(BEAUTY, SECAGG_TRAINED)).padded, BITS = DEFAULT_SECAGG_POLICY.bits, BROWSER = 3;
const MASK = 2 ** BITS - 1;
const { k, t } = chooseParams(N);
const ids = Array.from({ length: N }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
const dropped = new Set(ids.filter((_, i) => i % 10 >= 7)); // 30 %; devices 0–2 (the browser's) survive
const inputs = (i: number): Uint32Array => {
  let s = (i + 1) * 2654435761 >>> 0 || 1;
  const x = new Uint32Array(D);
  for (let j = 0; j < D; j++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; x[j] = s & MASK; }
  return x;
};
const log = (s: string): void => { console.error(`[secagg bench] ${s}`); };
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

const bench = await openWorkerBench(join(root, 'e2e', 'support', 'secagg-bench', 'worker.ts'), OUT, 'perch secagg bench');
try {
  const { page } = bench;
  await page.evaluate(`(async () => {
    window.__lt = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lt.push(e.duration); }).observe({ type: 'longtask', buffered: false });
    const workers = new Map();
    const dec = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const enc = (b) => { let s = ''; for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192)); return btoa(s); };
    window.__call = async (c) => {
      if (c.op === 'create') {
        const w = new Worker('/worker.js', { type: 'module' });
        await new Promise((resolve, reject) => { w.onmessage = () => resolve(); w.onerror = (e) => reject(new Error(e.message)); });
        workers.set(c.id, w);
      }
      const w = workers.get(c.id);
      return new Promise((resolve, reject) => {
      w.onmessage = (e) => { const r = e.data; resolve({ ...r, wire: r.wire ? enc(r.wire) : undefined }); };
      w.onerror = (e) => reject(new Error(e.message));
      const msg = { ...c };
      if (c.request) msg.request = dec(c.request);
      if (c.x) msg.x = new Uint32Array(dec(c.x).buffer);
      w.postMessage(msg);
    }); };
  })()`);
  type Reply = Omit<SecAggBenchReply, 'wire'> & { wire?: string };
  const call = async (c: { op: string; id: string; policy?: unknown; request?: string; x?: string }): Promise<Reply> =>
    (await page.evaluate(`window.__call(${JSON.stringify(c)})`)) as Reply;

  const backend = nodeSecAggBackend();
  const policy = { minCohort: Math.floor(N / 2) };
  const server = SecAggServer.open({ roundId: 'bench-round', bits: BITS, d: D, minCohort: policy.minCohort }, backend);
  const nodeDevs = new Map(ids.slice(BROWSER).map((id) => [id, SecAggDevice.create(id, policy, backend)]));
  const inBrowser = ids.slice(0, BROWSER);
  for (const id of inBrowser) await call({ op: 'create', id, policy });
  const ms: Record<'advertise' | 'share' | 'mask' | 'unmask', number[]> = { advertise: [], share: [], mask: [], unmask: [] };
  const up: Record<string, number> = {}, down: Record<string, number> = {};
  const ctx: WireContext = { d: D, bits: BITS };
  // one step of one browser device: request to wire, worker, wire reply decoded by the server's side
  const browserStep = async (id: string, step: string, req: Parameters<typeof encodeRequest>[0], x?: Uint32Array): Promise<DeviceReply> => {
    const wire = encodeRequest(req, ctx);
    const r = await call({ op: 'step', id, request: b64(wire), ...(x ? { x: b64(new Uint8Array(x.buffer)) } : {}) });
    if (!r.ok || !r.wire) throw new Error(`${id} ${step}: ${r.reason}`);
    const bytes = new Uint8Array(Buffer.from(r.wire, 'base64'));
    if (id === ids[0]) { up[step] = bytes.length; down[step] = wire.length; }
    ms[step as keyof typeof ms].push(r.ms);
    const msg = decodeReply(bytes, ctx);
    if (!msg) throw new Error(`${id} ${step}: reply does not decode`);
    return msg;
  };
  const accept = async (m: DeviceReply): Promise<void> => { const a = await server.receive(m); if (!a.ok) throw new Error(`${m.sender}: ${a.reason} ${a.detail}`); };

  let t0 = performance.now();
  const adv = server.advertiseRequest();
  for (const id of inBrowser) await accept(await browserStep(id, 'advertise', adv));
  for (const dv of nodeDevs.values()) { const r = await dv.advertiseKeys(adv); if (!r.ok) throw new Error(r.reason); await accept(r.message); }
  const sk = await server.closeAdvertise();
  if (!sk.ok) throw new Error(sk.reason);
  ctx.participants = sk.message[ids[0]!]!.participants;
  log(`n=${N} k=${sk.message[ids[0]!]!.k} t=${sk.message[ids[0]!]!.t} d=${D} bits=${BITS}: advertised in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  for (const id of inBrowser) await accept(await browserStep(id, 'share', sk.message[id]!));
  for (const [id, dv] of nodeDevs) { const r = await dv.shareKeys(sk.message[id]!); if (!r.ok) throw new Error(r.reason); await accept(r.message); }
  const mk = server.closeShareKeys();
  if (!mk.ok) throw new Error(mk.reason);
  log(`shared keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  for (const id of inBrowser) await accept(await browserStep(id, 'mask', mk.message[id]!, inputs(ids.indexOf(id))));
  for (const [id, dv] of nodeDevs) {
    if (dropped.has(id)) continue; // drops during masking: its y never arrives (what it would compute is irrelevant)
    const r = await dv.maskedInput(mk.message[id]!, inputs(ids.indexOf(id)));
    if (!r.ok) throw new Error(r.reason);
    await accept(r.message);
  }
  const um = server.closeMaskedInput();
  if (!um.ok) throw new Error(um.reason);
  log(`masked inputs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const id of inBrowser) await accept(await browserStep(id, 'unmask', um.message[id]!));
  for (const [id, dv] of nodeDevs) { if (dropped.has(id)) continue; const r = await dv.unmask(um.message[id]!); if (!r.ok) throw new Error(r.reason); await accept(r.message); }
  const longTasks = (await page.evaluate('window.__lt')) as number[];

  const saved = server.toJSON();
  if (process.env.PERCH_BENCH_SECAGG_STATE) writeFileSync(process.env.PERCH_BENCH_SECAGG_STATE, JSON.stringify(saved));
  const survivors = saved.survivors!;
  const want = new Uint32Array(D);
  for (const id of survivors) { const x = inputs(ids.indexOf(id)); for (let j = 0; j < D; j++) want[j] = (want[j]! + x[j]!) & MASK; }
  const masks = survivors.length + [...dropped].reduce((s, u) => s + saved.neighbours![u]!.filter((v) => !dropped.has(v)).length, 0);
  const unmask: Record<string, { ms: number; cpu: number; exact: boolean }> = {};
  for (const [name, be] of [['node-crypto', nodeSecAggBackend()], ['node-crypto-2-threads', nodeSecAggBackend({ threads: 2 })], ['webcrypto', undefined]] as const) {
    const srv = SecAggServer.fromJSON(saved, be);
    const t1 = performance.now(), c1 = process.cpuUsage();
    const fin = await srv.finish();
    const dt = performance.now() - t1, c2 = process.cpuUsage(c1);
    if (!fin.ok) throw new Error(`${name} finish: ${fin.reason} ${fin.detail}`);
    unmask[name] = { ms: dt, cpu: (c2.user + c2.system) / 1000, exact: fin.message.sum.every((v, j) => v === want[j]) };
    log(`unmask (${name}): ${dt.toFixed(0)} ms (process CPU ${unmask[name]!.cpu.toFixed(0)} ms, all threads) for ${masks} masks, exact ${unmask[name]!.exact}`);
  }

  const totals = inBrowser.map((_, i) => ms.advertise[i]! + ms.share[i]! + ms.mask[i]! + ms.unmask[i]!);
  const med = (a: number[]): number => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const r3 = (v: number): number => Number(v.toFixed(3));
  const emit = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void =>
    console.log(JSON.stringify({ bench: 'secagg', metric, value: r3(value), unit, ...extra }));
  const shape = { n: N, k, t, d: D, bits: BITS };
  emit('device_round_ms', med(totals), 'ms', { backend: 'chromium-worker', runs: totals.length, ...shape,
    advertise_ms: r3(med(ms.advertise!)), share_keys_ms: r3(med(ms.share!)), masked_input_ms: r3(med(ms.mask!)), unmask_step_ms: r3(med(ms.unmask!)),
    max_ms: r3(Math.max(...totals)), long_tasks: longTasks.length, longest_main_task_ms: r3(Math.max(0, ...longTasks)) });
  const upTotal = Object.values(up).reduce((a, b) => a + b, 0), downTotal = Object.values(down).reduce((a, b) => a + b, 0);
  emit('bytes_per_device', upTotal, 'B', { ...shape, advertise_B: up.advertise, share_keys_B: up.share, masked_input_B: up.mask, unmask_B: up.unmask,
    vector_B: Math.ceil((D * BITS) / 8), download_B: downTotal, download_share_keys_B: down.share, download_masked_input_B: down.mask, download_unmask_B: down.unmask });
  emit('round_trips', 3, 'count', { steps: 4, plain_upload: 1 });
  for (const [name, u] of Object.entries(unmask)) emit('unmask_ms', u.ms, 'ms', { backend: name, cpu_ms: r3(u.cpu), load_avg_1m: r3(loadavg()[0]!), ...shape, survivors: survivors.length, dropped: dropped.size, masks, exact: u.exact });
} finally {
  await bench.close();
}
