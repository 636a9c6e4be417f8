/**
 * `pnpm bench aggregator`: the real server (child process, 127.0.0.1, SQLite in a temp dir) under concurrent
 * uploads of ~100 kB int8 deltas (dims d = h = 117 → 99,339 shared dense values). Keep-alive HTTP/1.1 from
 * this process with 64 sockets; every upload has its own idempotency key (a pool of pre-built payloads with
 * the key bytes rewritten), so each one is validated, fsync'd and counted. The round's target is the total
 * upload count, so the last upload also triggers aggregation and publishing, which is timed separately.
 * Figures: uploads_per_s, p50_ms, p99_ms (per-request latency), rss_mb (server RSS at the end), peak_rss_mb,
 * close_ms, server_cpu_ms_per_upload (server CPU time / uploads, independent of other load), wal_peak_mb (the
 * largest the SQLite WAL grew: checkpoints keep up, or it would approach the data written, ~700 MB). Env: BENCH_UPLOADS (default 4000), BENCH_CONCURRENCY (64).
 *
 * With a closed loop of 64 connections, latency is bound to be ≈ 64 / throughput (Little's law), so the p99
 * above mostly says how many uploads wait in line. The question "does it sustain R uploads/s with p99 < 100 ms"
 * is answered by a second, open-loop phase: uploads are started on a fixed schedule of BENCH_RATE per second
 * (default 500) for BENCH_OPEN_SECONDS (default 6), whatever the answers do, like many independent devices.
 * Figures: open_rate_per_s (offered), open_achieved_per_s, open_p50_ms, open_p99_ms, open_max_in_flight.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { call, closedLoop, closeTargets, openLoop, quantile, targetOf, uploads, type RoundInfoLite } from './load.js';

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 4000);
const WARMUP = 200;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const OPEN = Math.round(RATE * Number(process.env.BENCH_OPEN_SECONDS ?? 6));
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'perch-agg-bench-'));
const figure = (metric: string, value: number, unit: string) => console.log(JSON.stringify({ bench: 'aggregator', metric, value: Math.round(value * 100) / 100, unit }));

const child = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []), '--import', 'tsx', join(pkg, 'src', 'server.ts'),
  '--port', '0', '--db', join(dir, 'agg.db'), '--dims', '117,117',
  '--min-clients', '1', '--target-clients', String(UPLOADS + WARMUP + OPEN), '--max-updates', String(UPLOADS + WARMUP + OPEN),
  '--round-seconds', '3600', '--close-at-target', 'on', '--noise', '1', '--rate-max', '100000000'], { cwd: join(pkg, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PERCH_AGG_LOG: 'warn' } });
// Bounded in time as well as in count: a stalled server fails the bench instead of hanging it.
const watchdog = setTimeout(() => { console.error('aggregator bench: timed out after 5 min'); child.kill('SIGKILL'); process.exit(1); }, 5 * 60_000);
watchdog.unref();
const base = await new Promise<string>((resolve, reject) => {
  child.once('exit', (c) => reject(new Error(`server exited with ${c}`)));
  createInterface({ input: child.stdout! }).on('line', (l) => { if (l.startsWith('{"event":"listening"')) resolve((JSON.parse(l) as { address: string }).address); });
});
const target = targetOf(base, CONCURRENCY);
const info = JSON.parse((await call(target, 'GET', '/v1/round')).text) as RoundInfoLite;
const { bytes: payloadBytes, payload } = uploads(info);
console.error(`payload ${payloadBytes} bytes; ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
let next = 0;
async function run(count: number, latencies: number[]): Promise<void> {
  await closedLoop([target], info.roundId, payload, next, count, CONCURRENCY, latencies);
  next += count;
}

// Server CPU time (user + system, clock ticks of 10 ms) from /proc: a load-independent cost per upload.
const cpuTicks = (): number => { const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return Number(f[11]) + Number(f[12]); };
await run(WARMUP, []);
const lat: number[] = [];
const cpu0 = cpuTicks();
const t0 = performance.now();
await run(UPLOADS, lat);
const secs = (performance.now() - t0) / 1000;
const cpuMsPerUpload = ((cpuTicks() - cpu0) * 10) / UPLOADS;

// Open loop: upload i starts at tOpen + i / RATE seconds, independent of earlier answers.
const openLat: number[] = [];
const { seconds: openSecs, maxInFlight } = await openLoop([target], info.roundId, payload, next, OPEN, RATE, openLat);
next += OPEN;
// The WAL file never shrinks by itself, so its size now is the largest it grew to during both phases.
const walBytes = statSync(join(dir, 'agg.db-wal'), { throwIfNoEntry: false })?.size ?? 0;
const tClose = performance.now();
for (;;) {
  const r = JSON.parse((await call(target, 'GET', '/v1/round')).text) as { roundId: number };
  if (r.roundId !== info.roundId) break;
  await new Promise((res) => setTimeout(res, 20));
}
const closeMs = performance.now() - tClose;
const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
const pct = (p: number) => quantile(lat, p);
console.error(`${UPLOADS} uploads in ${secs.toFixed(2)} s with ${CONCURRENCY} connections; load average after ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
figure('uploads_per_s', UPLOADS / secs, 'uploads/s');
figure('p50_ms', pct(0.5), 'ms');
figure('p99_ms', pct(0.99), 'ms');
figure('server_cpu_ms_per_upload', cpuMsPerUpload, 'ms');
const openPct = (p: number) => quantile(openLat, p);
console.error(`open loop: ${OPEN} uploads offered at ${RATE}/s, done in ${openSecs.toFixed(2)} s, at most ${maxInFlight} in flight`);
figure('open_rate_per_s', RATE, 'uploads/s');
figure('open_achieved_per_s', OPEN / openSecs, 'uploads/s');
figure('open_p50_ms', openPct(0.5), 'ms');
figure('open_p99_ms', openPct(0.99), 'ms');
figure('open_max_in_flight', maxInFlight, 'requests');
figure('rss_mb', kb('VmRSS') / 1024, 'MB');
figure('peak_rss_mb', kb('VmHWM') / 1024, 'MB');
figure('close_ms', closeMs, 'ms');
figure('wal_peak_mb', walBytes / 2 ** 20, 'MB');
figure('payload_bytes', payloadBytes, 'bytes');
closeTargets([target]);
const exited = new Promise((r) => child.once('exit', r));
child.kill('SIGTERM');
await exited;
rmSync(dir, { recursive: true, force: true });
