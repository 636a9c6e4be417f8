// Three library builds, one per mode (`pnpm build` runs them in turn):
//   esm    → dist/esm/index.js     npm entry; comlink stays an import for the shop's bundler
//   loader → dist/perch.iife.js    script-tag loader (global `perch`); no idb, small
//   worker → dist/perch-worker.js  the web worker (classic script: idb + comlink bundled)
import { resolve } from 'node:path';
import { defineConfig, type UserConfig } from 'vite';

const src = (p: string): string => resolve(import.meta.dirname, 'src', p);

function iife(entry: string, fileName: string): UserConfig {
  return {
    build: {
      outDir: 'dist',
      emptyOutDir: false,
      sourcemap: true,
      minify: true,
      target: 'es2022',
      lib: { entry: src(entry), formats: ['iife'], name: 'perchBundle', fileName: () => fileName },
    },
  };
}

export default defineConfig(({ mode }) => {
  if (mode === 'loader') return iife('main/loader.ts', 'perch.iife.js');
  if (mode === 'worker') return iife('worker/worker-entry.ts', 'perch-worker.js');
  return {
    build: {
      outDir: 'dist/esm',
      emptyOutDir: true,
      sourcemap: true,
      minify: false,
      target: 'es2022',
      lib: { entry: src('index.ts'), formats: ['es'], fileName: () => 'index.js' },
      rolldownOptions: { external: ['comlink', 'idb'] },
    },
  };
});
