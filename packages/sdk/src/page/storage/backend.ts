/**
 * Starts the storage side: the web worker (its start-up and comlink load on demand from `perch-link.js`)
 * or, when it cannot run (CSP, cross-origin URL, 404, constructor throws, no answer, link script
 * missing), a memory store on the main thread from `perch-fallback.js`; if that cannot load either,
 * {@link nothingApi} reports the loss. Never rejects.
 */
import type { PerchWorkerApi, StoreOptions, StoreStatus } from '../../shared/worker-api.js';
import { loadChunk } from '../chunks.js';
import { nothingApi } from './nothing.js';

/** The storage side as the client sees it: the worker's API (or a stand-in), its status, whether a worker runs. */
export interface Backend {
  api: PerchWorkerApi;
  status: StoreStatus;
  worker: { running: boolean; reason?: string };
  terminate(): void;
}

async function mainThreadBackend(options: StoreOptions, reason: string, base: string | null): Promise<Backend> {
  let api: PerchWorkerApi;
  try {
    api = (await loadChunk('fallback', base)).memoryApi(reason);
  } catch (e) {
    api = nothingApi(`${reason}; ${(e as Error).message}`);
  }
  const status = await api.open(options);
  return { api, status, worker: { running: false, reason }, terminate: () => undefined };
}

/**
 * @param url absolute worker URL (already resolved against the page), or null when unknown
 * @param startTimeoutMs how long the worker may take to answer `open()` before the main thread takes over
 * @param base folder of the on-demand scripts
 */
export async function startBackend(url: string | null, options: StoreOptions, startTimeoutMs: number, base: string | null): Promise<Backend> {
  let reason: string;
  if (!url) reason = 'no worker URL';
  else if (typeof Worker === 'undefined') reason = 'Worker unsupported';
  else if (typeof location !== 'undefined' && new URL(url).origin !== location.origin) {
    reason = `worker URL is cross-origin (${new URL(url).origin})`;
  } else {
    const r = await loadChunk('link', base).then(
      (m) => m.startWorker(url, options, startTimeoutMs),
      (e: unknown) => `worker failed to start: ${(e as Error).message}`,
    );
    if (typeof r !== 'string') return r;
    reason = r;
  }
  return mainThreadBackend(options, reason, base);
}
