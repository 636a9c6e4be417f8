// `pnpm bench [group ...]`: runs every benchmark file `packages/*/bench/<group>.bench.ts` and
// `e2e/bench/<group>.bench.ts` (tsx), collects the JSON figure lines they print
// ({"bench":…,"metric":…,"value":N,"unit":…[,"backend":…]}), prints a readable table and then
// the JSON lines, one per figure, as the last lines of output.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dirs = [join(root, 'e2e', 'bench'), ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'bench'))];
const files = dirs.filter(existsSync).flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.bench.ts')).map((f) => join(d, f)));
const groupOf = (f) => f.split('/').pop().replace(/\.bench\.ts$/, '');
const wanted = process.argv.slice(2);
const selected = files.filter((f) => wanted.length === 0 || wanted.includes(groupOf(f)));
if (selected.length === 0) {
  console.error(`no benchmark group matches ${wanted.join(', ') || '(any)'}; known: ${files.map(groupOf).join(', ')}`);
  process.exit(1);
}

const figures = [];
let failed = false;
for (const file of selected) {
  console.error(`\n--- bench ${groupOf(file)} (${relative(root, file)})`);
  const r = spawnSync('pnpm', ['exec', 'tsx', file], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  for (const line of (r.stdout ?? '').split('\n')) {
    const t = line.trim();
    if (t.startsWith('{') && t.includes('"bench"')) {
      try { figures.push(JSON.parse(t)); continue; } catch { /* not a figure */ }
    }
    if (t) console.error(t);
  }
  if (r.status !== 0) { failed = true; console.error(`bench ${groupOf(file)} exited with ${r.status}`); }
}

const rows = figures.map((f) => [f.bench, f.metric, f.backend ?? '', String(f.value), f.unit ?? '']);
const head = ['bench', 'metric', 'backend', 'value', 'unit'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const fmt = (r) => r.map((c, i) => (i === 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ');
console.log(fmt(head));
console.log(w.map((n) => '-'.repeat(n)).join('  '));
for (const r of rows) console.log(fmt(r));
console.log('');
for (const f of figures) console.log(JSON.stringify(f));
process.exit(failed ? 1 : 0);
