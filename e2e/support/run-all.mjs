// The whole test suite, as README's `npm test` runs it: build, type-check, unit tests (Vitest; the aggregator's
// and the model's a second time on Node 24), then every real-browser suite (Playwright in Chromium). Ends with
// one plain summary line "tests: N passed, N failed" that CI reads; exits non-zero if any step fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifacts = join(root, 'e2e', 'artifacts');
mkdirSync(artifacts, { recursive: true });

const failedSteps = [];
function step(name, cmd, args) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) failedSteps.push(name);
  return r.status === 0;
}

let passed = 0;
let failed = 0;
let ok = true;

ok = step('build', 'pnpm', ['run', '-s', 'build']) && ok;
ok = step('typecheck', 'pnpm', ['run', '-s', 'typecheck']) && ok;

/** A Vitest run (`vitest`: the command that starts it) whose JSON report's counts go into the summary. */
function unitTests(name, report, vitest, args = []) {
  const json = join(artifacts, report);
  rmSync(json, { force: true });
  const stepOk = step(name, vitest[0], [...vitest.slice(1), 'run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${json}`]);
  if (existsSync(json)) {
    const r = JSON.parse(readFileSync(json, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
  }
  return stepOk;
}

ok = unitTests('unit tests', 'vitest.json', ['pnpm', 'exec', 'vitest']) && ok;
// The aggregator's and the model's unit tests once more on Node 24 (the npm registry's `node` package), where the
// aggregator's store runs on node:sqlite instead of better-sqlite3; the shop-data readers (DuckDB's native
// binding, the feed parser); and the trainer's determinism across thread counts (worker_threads, WebAssembly SIMD).
ok = unitTests('unit tests (Node 24)', 'vitest-node24.json', ['npx', '--yes', '-p', 'node@24', 'node', join('node_modules', 'vitest', 'vitest.mjs')],
  ['packages/aggregator/', 'packages/model/', 'packages/cli/src/ingest/', 'packages/cli/test/train/determinism.test.ts']) && ok;

const pwJson = join(artifacts, 'playwright.json');
rmSync(pwJson, { force: true });
const chromeOk = step('chromium', 'node', ['e2e/support/ensure-chromium.mjs']);
const e2eOk = chromeOk && step('browser tests', 'pnpm', ['exec', 'playwright', 'test', '-c', 'e2e/playwright.config.ts']);
if (existsSync(pwJson)) {
  const s = JSON.parse(readFileSync(pwJson, 'utf8')).stats ?? {};
  passed += (s.expected ?? 0) + (s.flaky ?? 0);
  failed += s.unexpected ?? 0;
}
ok = e2eOk && ok;

// A step can fail without a failing test (the build, the type check): name it just before the summary, so that
// a run whose tests all passed is never read as green when it exits non-zero. The summary line keeps its form.
if (failedSteps.length) console.log(`\nfailed steps: ${failedSteps.join(', ')} (exit code 1)`);
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
