// Eleven library builds, one per mode (`pnpm build` runs them in turn):
//   esm      → dist/esm/index.js       npm entry; comlink stays an import for the shop's bundler
//   loader   → dist/perch.iife.js      script-tag loader (global `perch`); no validation, no idb, small
//   worker   → dist/perch-worker.js    the web worker core (classic script: validation, idb + comlink bundled)
//   model    → dist/perch-model.js     the worker's model side (tfjs + backends, plain kernels, delivery,
//                                      intent state), importScripts'ed by the worker only when a model is
//                                      needed; plus tfjs-backend-wasm's .wasm binaries (see copyWasm)
//   link     → dist/perch-link.js      on demand, once storage is needed: comlink + worker start-up
//   rerank   → dist/perch-rerank.js    on demand, once personalization is granted: page side of rerank()
//   fallback → dist/perch-fallback.js  on demand: main-thread memory store when no worker can run
//   consent  → dist/perch-consent.js   on demand: TCF, Consent Mode and dataLayer adapters
//   trust    → dist/perch-trust.js     the worker's model-version checks (signature, log, witness),
//                                      importScripts'ed only when the page pins `modelKeys`
//   ed25519  → dist/perch-ed25519.js   @noble/ed25519, importScripts'ed by the trust script only where
//                                      WebCrypto has no Ed25519
//   secagg   → dist/perch-secagg.js    the federated client's secure-aggregation rounds (ddg encoding, SecAgg+,
//                                      X25519 fallback, Shamir), importScripts'ed only when the worker takes
//                                      part in such a round
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { defineConfig, type Plugin, type UserConfig } from 'vite';

const src = (p: string): string => resolve(import.meta.dirname, 'src', p);

/**
 * The wasm backend's binaries, copied beside the scripts so the backend loads them from the shop's own
 * origin (`assetBase`), never from a CDN. Only the single-threaded builds: the worker disables threads
 * (see worker/serve/model/runtime.ts), so the threaded binary would never be fetched.
 */
export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

function copyWasm(): Plugin {
  return {
    name: 'perch-copy-wasm',
    writeBundle() {
      const req = createRequire(join(import.meta.dirname, 'package.json'));
      // The package's main file sits in its dist/ folder, beside the binaries.
      const from = dirname(req.resolve('@tensorflow/tfjs-backend-wasm'));
      mkdirSync(resolve(import.meta.dirname, 'dist'), { recursive: true });
      for (const f of WASM_FILES) copyFileSync(join(from, f), resolve(import.meta.dirname, 'dist', f));
    },
  };
}

function iife(entry: string, fileName: string, name = 'perchBundle'): UserConfig {
  return {
    build: {
      outDir: 'dist',
      emptyOutDir: false,
      sourcemap: true,
      minify: true,
      target: 'es2022',
      lib: { entry: src(entry), formats: ['iife'], name, fileName: () => fileName },
    },
  };
}

export default defineConfig(({ mode }) => {
  if (mode === 'loader') return iife('entries/loader.ts', 'perch.iife.js');
  if (mode === 'worker') return iife('entries/worker.ts', 'perch-worker.js');
  if (mode === 'model') return { ...iife('entries/model.ts', 'perch-model.js', 'perchModel'), plugins: [copyWasm()] };
  if (mode === 'link') return iife('entries/link.ts', 'perch-link.js', 'perchLink');
  if (mode === 'rerank') return iife('entries/rerank.ts', 'perch-rerank.js', 'perchRerank');
  if (mode === 'fallback') return iife('entries/fallback.ts', 'perch-fallback.js', 'perchFallback');
  if (mode === 'consent') return iife('entries/consent.ts', 'perch-consent.js', 'perchConsent');
  if (mode === 'trust') return iife('entries/trust.ts', 'perch-trust.js', 'perchTrust');
  if (mode === 'ed25519') return iife('entries/ed25519.ts', 'perch-ed25519.js', 'perchEd25519');
  if (mode === 'secagg') return iife('entries/secagg.ts', 'perch-secagg.js', 'perchSecagg');
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
