/**
 * Rarely needed code lives outside the loader, in small classic scripts next to it (`perch-<name>.js`),
 * loaded with a script element on first use: the IIFE cannot code-split, and a shop that has no CMP and
 * whose worker starts never downloads them. Each chunk registers itself on a global registry; the npm
 * build registers the same modules statically (see `index.ts`), so nothing is fetched there.
 */
import type { PerchWorkerApi } from '../shared/worker-api.js';
import type { rerankInWorker } from './rerank/rerank-link.js';
import type { impressionFor } from './rerank/impression.js';
import type { startWorker } from './storage/worker-link.js';
import type { workerHooks } from './storage/worker-hooks.js';
import type { forgetEvents } from './track/forget-events.js';
import type { watchConsentMode } from './consent/consent-mode.js';
import type { watchTcf } from './consent/tcf.js';
import type { bridgeDataLayer } from './track/datalayer.js';

export interface Chunks {
  /**
   * comlink and the worker start-up (`worker-link.ts`): needed once storage is granted (or restored). Also the
   * page side of federated learning (options, idle/hidden watcher), which only ever runs with a worker.
   */
  link: { startWorker: typeof startWorker; workerHooks: typeof workerHooks; forgetEvents: typeof forgetEvents };
  /**
   * The page side of `rerank()` (item minimisation, reply mapping, the impression event): prefetched once
   * personalization is granted, else fetched by the first `rerank()` (for its impression).
   */
  rerank: { rerankInWorker: typeof rerankInWorker; impressionFor: typeof impressionFor };
  /** Main-thread storage (validation + memory) for when no worker can run. */
  fallback: { memoryApi(reason: string): PerchWorkerApi };
  /** IAB TCF v2, Google Consent Mode and the GTM dataLayer bridge. */
  consent: { watchTcf: typeof watchTcf; watchConsentMode: typeof watchConsentMode; bridgeDataLayer: typeof bridgeDataLayer };
}
type Name = keyof Chunks;

const KEY = '__perchChunks';
/** A chunk that neither loads nor fails within this time is reported as failed. */
const LOAD_TIMEOUT_MS = 10_000;
const loading: Partial<Record<Name, Promise<unknown>>> = {};

function registry(): Partial<Chunks> {
  const g = globalThis as unknown as Record<string, Partial<Chunks> | undefined>;
  return (g[KEY] ??= {});
}

/** Called by each chunk's entry (and by the npm entry for all of them). */
export function registerChunk<K extends Name>(name: K, mod: Chunks[K]): void {
  registry()[name] = mod;
}

/**
 * The chunk's module, loading `perch-<name>.js` from `base` if it is not registered yet. Rejects (never
 * throws) with a reason when it cannot load; the caller reports it in `audit()`.
 */
export function loadChunk<K extends Name>(name: K, base: string | null): Promise<Chunks[K]> {
  const have = registry()[name];
  if (have) return Promise.resolve(have as Chunks[K]);
  return (loading[name] ??= new Promise<Chunks[K]>((resolve, reject) => {
    const file = `perch-${name}.js`;
    if (!base || typeof document === 'undefined') return reject(new Error(`${file}: no asset base`));
    const s = document.createElement('script');
    const done = (err?: string) => {
      clearTimeout(t);
      s.remove();
      const mod = registry()[name];
      if (mod) resolve(mod as Chunks[K]);
      else reject(new Error(`${file} failed to load${err ? ` (${err})` : ''}`));
    };
    const t = setTimeout(() => done('timed out'), LOAD_TIMEOUT_MS);
    s.onload = () => done();
    s.onerror = () => done('error event: 404, CSP or network');
    s.async = true;
    s.src = new URL(file, base).href;
    (document.head ?? document.documentElement).appendChild(s);
  }).catch((e: unknown) => {
    delete loading[name]; // a later use may retry
    throw e;
  })) as Promise<Chunks[K]>;
}
