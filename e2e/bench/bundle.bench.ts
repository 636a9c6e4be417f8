// `pnpm bench bundle`: gzipped sizes of what a shop serves. The loader (script tag) and the files it
// loads on demand, each gzipped on its own (each is its own request). In the worker:
//   perch-worker.js   the worker core (storage, validation, comlink): every session with storage consent
//   perch-model.js    the model runtime (tfjs + backends, plain kernels, delivery, intent state), loaded
//                     by the worker with importScripts only with personalization consent and a model URL
//   tfjs-backend-wasm(-simd).wasm  fetched only when the wasm backend is probed or forced
//   perch-trust.js    the model-version checks (signature, version log, witness): only when `modelKeys` are pinned
//   perch-ed25519.js  @noble/ed25519, loaded by perch-trust.js only where WebCrypto has no Ed25519
//   perch-secagg.js   secure-aggregation rounds (SecAgg+, ddg encoding): only when the page pins a secagg
//                     policy and the aggregator runs such a round
// On the page:
//   perch-link.js     comlink + worker start-up: loaded once storage is granted (or restored) — the common path
//   perch-rerank.js   page side of rerank(): loaded once a worker runs and personalization is granted
//   perch-fallback.js main-thread memory store: only when no worker can run
//   perch-consent.js  TCF / Consent Mode / dataLayer adapters: only with `__tcfapi` or `dataLayer`
// `main_total_gzip_bytes` is every main-thread script of the common path (loader + link), so moving code
// out of the loader into a file the common path loads anyway does not count as a saving there;
// `main_total_personalized_gzip_bytes` adds the rerank script (storage and personalization granted).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../support/build-sdk.mjs';
// @ts-expect-error plain ESM helper without types
import { SDK_DIST } from '../support/static-server.mjs';

ensureSdkBuilt();
const size = (file: string): number => {
  const bytes = readFileSync(join(SDK_DIST as string, file));
  const gz = gzipSync(bytes, { level: 9 }).length;
  console.error(`${file}: ${bytes.length} B raw, ${gz} B gzip`);
  return gz;
};
const out = (metric: string, value: number) => console.log(JSON.stringify({ bench: 'bundle', metric, value, unit: 'bytes' }));

const loader = size('perch.iife.js');
const link = size('perch-link.js');
out('loader_gzip_bytes', loader);
const core = size('perch-worker.js');
const runtime = size('perch-model.js');
out('worker_core_gzip_bytes', core);
out('model_runtime_gzip_bytes', runtime);
out('worker_total_personalized_gzip_bytes', core + runtime);
out('wasm_binary_gzip_bytes', size('tfjs-backend-wasm.wasm'));
out('wasm_binary_simd_gzip_bytes', size('tfjs-backend-wasm-simd.wasm'));
out('trust_chunk_gzip_bytes', size('perch-trust.js'));
out('ed25519_fallback_gzip_bytes', size('perch-ed25519.js'));
const rerank = size('perch-rerank.js');
out('link_chunk_gzip_bytes', link);
out('rerank_chunk_gzip_bytes', rerank);
out('fallback_chunk_gzip_bytes', size('perch-fallback.js'));
out('consent_chunk_gzip_bytes', size('perch-consent.js'));
out('secagg_chunk_gzip_bytes', size('perch-secagg.js'));
out('main_total_gzip_bytes', loader + link);
out('main_total_personalized_gzip_bytes', loader + link + rerank);
