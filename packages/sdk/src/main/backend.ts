/**
 * Starts the storage side: the web worker (wrapped with comlink) or, when it cannot run (CSP, cross-origin
 * URL, 404, constructor throws, no answer), the same `StoreService` on the main thread with memory only.
 * Writes are only sent once `open()` answered, so nothing is ever stranded in a dead worker.
 */
import { type Remote, releaseProxy, wrap } from 'comlink';
import { errName } from '../shared/errors.js';
import type { PerchWorkerApi, StoreOptions, StoreStatus } from '../shared/worker-api.js';
import { MainMemoryApi } from './memory-api.js';

export interface Backend {
  api: PerchWorkerApi;
  status: StoreStatus;
  worker: { running: boolean; reason?: string };
  terminate(): void;
}

function mainThreadBackend(options: StoreOptions, reason: string): Promise<Backend> {
  const service = new MainMemoryApi(reason);
  return service.open(options).then((status) => ({
    api: service,
    status,
    worker: { running: false, reason },
    terminate: () => undefined,
  }));
}

/**
 * @param url absolute worker URL (already resolved against the page)
 * @param startTimeoutMs how long the worker may take to answer `open()` before the main thread takes over
 */
export async function startBackend(url: string | null, options: StoreOptions, startTimeoutMs: number): Promise<Backend> {
  if (!url) return mainThreadBackend(options, 'no worker URL');
  if (typeof Worker === 'undefined') return mainThreadBackend(options, 'Worker unsupported');
  if (typeof location !== 'undefined' && new URL(url).origin !== location.origin) {
    return mainThreadBackend(options, `worker URL is cross-origin (${new URL(url).origin})`);
  }
  let worker: Worker;
  try {
    worker = new Worker(url, { name: 'perch' });
  } catch (e) {
    return mainThreadBackend(options, `worker failed to start: ${errName(e)}`);
  }
  const remote: Remote<PerchWorkerApi> = wrap<PerchWorkerApi>(worker);
  let onError: ((ev: Event) => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failed = new Promise<string>((resolve) => {
    // A 404, a CSP refusal or a script error surfaces as an `error` event, not as an exception.
    onError = (ev: Event) => {
      ev.preventDefault?.();
      resolve(`worker failed to start: ${(ev as ErrorEvent).message || 'error event (404, CSP or script error)'}`);
    };
    worker.addEventListener('error', onError);
    timer = setTimeout(() => resolve(`worker did not answer within ${startTimeoutMs} ms`), startTimeoutMs);
  });
  const opened = remote.open(options).then((status) => status, (e: unknown) => `worker open failed: ${errName(e)}`);
  const first = await Promise.race([opened, failed]);
  clearTimeout(timer);
  if (onError) worker.removeEventListener('error', onError);
  if (typeof first === 'string') {
    try { remote[releaseProxy](); } catch { /* already gone */ }
    worker.terminate();
    return mainThreadBackend(options, first);
  }
  return {
    api: remote as unknown as PerchWorkerApi,
    status: first,
    worker: { running: true },
    terminate: () => {
      try { remote[releaseProxy](); } catch { /* already gone */ }
      worker.terminate();
    },
  };
}
