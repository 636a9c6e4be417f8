// Builds @perch/sdk once if its dist is missing or older than its sources (its own, and those of @perch/model
// and @perch/learn, which its worker scripts bundle), so a browser suite or a benchmark run on its own (without
// run-all.mjs, which builds first) still tests the current code.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sdk = join(root, 'packages', 'sdk');
const outputs = ['dist/perch.iife.js', 'dist/perch-worker.js', 'dist/perch-model.js', 'dist/tfjs-backend-wasm.wasm', 'dist/tfjs-backend-wasm-simd.wasm', 'dist/perch-link.js', 'dist/perch-rerank.js', 'dist/perch-fallback.js', 'dist/perch-consent.js', 'dist/perch-trust.js', 'dist/perch-ed25519.js', 'dist/perch-secagg.js', 'dist/esm/index.js'].map((f) => join(sdk, f));

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function ensureSdkBuilt() {
  const built = outputs.every(existsSync) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
  const sources = Math.max(newest(join(sdk, 'src')), newest(join(root, 'packages', 'model', 'src')), newest(join(root, 'packages', 'learn', 'src')), statSync(join(sdk, 'vite.config.ts')).mtimeMs);
  if (built >= sources) return;
  const r = spawnSync(join(root, 'node_modules', '.bin', 'vite'), ['--version'], { cwd: sdk });
  const vite = r.status === 0 ? join(root, 'node_modules', '.bin', 'vite') : 'vite';
  for (const mode of ['esm', 'loader', 'worker', 'model', 'link', 'rerank', 'fallback', 'consent', 'trust', 'ed25519', 'secagg']) {
    const b = spawnSync(vite, ['build', '-c', 'vite.config.ts', '--mode', mode, '--logLevel', 'warn'], { cwd: sdk, stdio: 'inherit' });
    if (b.status !== 0) throw new Error(`@perch/sdk build (${mode}) failed`);
  }
}
