// Bundles the benchmark worker (tfjs + the model + the plain floor) with Vite into e2e/artifacts/model-bench/
// (git-ignored), next to a blank page the worker is started from.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
export const OUT_DIR = join(here, '..', '..', 'artifacts', 'model-bench');

/** Builds worker.js (+ lazily imported backend chunks) and index.html; returns the output folder. */
export async function buildModelBench(): Promise<string> {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: here,
    build: {
      outDir: OUT_DIR,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      lib: { entry: join(here, 'worker', 'worker.ts'), formats: ['es'], fileName: () => 'worker.js' },
    },
  });
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><title>perch model bench</title></head><body></body></html>');
  return OUT_DIR;
}
