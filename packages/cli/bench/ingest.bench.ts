/**
 * `pnpm bench ingest`: reading a shop's analytics export — a generated GA4 BigQuery export of BENCH_EVENTS
 * (10,000,000) events as one Parquet file (zstd, the columns and nesting of BigQuery's export; about 430 MB;
 * `src/ingest/events/generate-ga4.ts`, seed 1, 0.1 % dirty rows) — into sessions with `readEvents`' defaults
 * (DuckDB memory limit 1 GB, DuckDB's default threads): names mapped, rows classified, duplicates removed,
 * sessions formed and sorted, steps pulled into typed arrays.
 * - `events_per_s`: rows of the export read, mapped and sessionised per second of `readEvents` (wall clock);
 * - `peak_rss_mb`: the peak resident set of this process (VmHWM: the JS heap and DuckDB's native memory
 *   together) over the whole run. The export is generated once, by a child process, into a cache directory
 *   outside the repository (os.tmpdir(), reused when present), so its cost is in neither figure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEvents } from '../src/ingest/events/index.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const cache = join(tmpdir(), 'perch-bench-ingest');
// The name says what the file is (and the generator's revision): a stale cache is never read.
const file = join(cache, `ga4-${EVENTS}-seed1-dirty0.001-r2.parquet`);
const figure = (metric: string, value: number, unit: string): void => console.log(JSON.stringify({ bench: 'ingest', metric, value: Math.round(value * 100) / 100, unit }));

const watchdog = setTimeout(() => { console.error('ingest bench: timed out after 15 min'); process.exit(1); }, 15 * 60_000);
watchdog.unref();

if (!existsSync(file)) {
  mkdirSync(cache, { recursive: true });
  const gen = fileURLToPath(new URL('../src/ingest/events/generate-ga4.ts', import.meta.url));
  console.error(`generating ${EVENTS} GA4 events into ${file} (once; reused by later runs)`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', gen, '--events', String(EVENTS), '--out', `${file}.tmp.parquet`, '--seed', '1', '--dirty', '0.001'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`generator exited with ${r.status}`);
  renameSync(`${file}.tmp.parquet`, file);
}
console.error(`export: ${file}, ${(statSync(file).size / 1e6).toFixed(0)} MB Parquet; ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

const t0 = performance.now();
const log = await readEvents(file);
const secs = (performance.now() - t0) / 1000;
const rows = log.report.counts.get('rows') ?? 0;
const hwm = /VmHWM:\s+(\d+)\s+kB/.exec(existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '');
const peakKb = hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS;
console.error(`read ${rows} rows in ${secs.toFixed(1)} s: ${log.sessionKeys.length} sessions, ${log.itemIds.length} items, ${log.item.length} steps; ${log.report.problemCount} problems counted`);
figure('events_per_s', rows / secs, 'events/s');
figure('peak_rss_mb', peakKb / 1024, 'MB');
figure('seconds', secs, 's');
