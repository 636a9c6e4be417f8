/**
 * The worker half of starting storage: create the web worker, wrap it with comlink, and wait for its
 * `open()` answer (a 404, a CSP refusal or a script error surfaces as an `error` event, not as an
 * exception). Writes are only sent once `open()` answered, so nothing is ever stranded in a dead worker.
 * This module and comlink ship in `perch-link.js`, loaded when storage is first needed: a page whose
 * visitor never grants storage never downloads them.
 */
import { type Remote, releaseProxy, wrap } from 'comlink';
import { errName } from '../../shared/errors.js';
import type { PerchWorkerApi, StoreOptions } from '../../shared/worker-api.js';
import type { Backend } from './backend.js';

/**
 * Starts the worker at `url` (same origin, already checked) and opens storage in it.
 * @param startTimeoutMs how long the worker may take to answer `open()` before the page gives up on it
 * @returns the backend, or why the worker cannot be used (the caller then runs the main-thread fallback)
 */
export async function startWorker(url: string, options: StoreOptions, startTimeoutMs: number): Promise<Backend | string> {
  let worker: Worker;
  try {
    worker = new Worker(url, { name: 'perch' });
  } catch (e) {
    return `worker failed to start: ${errName(e)}`;
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
    return first;
  }
  const stop = settleOnStop(remote as unknown as PerchWorkerApi);
  return {
    api: stop.api,
    status: first,
    worker: { running: true },
    terminate: () => {
      stop.stopped();
      try { remote[releaseProxy](); } catch { /* already gone */ }
      worker.terminate();
    },
  };
}

/**
 * A terminated worker never answers: comlink leaves the calls it had not answered pending for ever, and a shop's
 * `await perch.flush()` racing a consent withdrawal (which stops the worker) would hang. Every call through the
 * returned `api` therefore also settles, rejected with "worker stopped", once `stopped()` is called.
 */
export function settleOnStop<T extends object>(remote: T): { api: T; stopped(): void } {
  let stopped!: (e: Error) => void;
  let isStopped = false;
  const gone = new Promise<never>((_, reject) => { stopped = reject; });
  gone.catch(() => undefined); // nobody may be waiting: not an unhandled rejection
  // After the stop the comlink proxy is released, and comlink throws synchronously on any property read of a
  // released proxy ("Proxy has been released"): a caller such as `b.api.flush().then(…)` in a pagehide handler
  // would throw into the page. So once stopped, the target is never touched: every call rejects instead.
  const refused = (): Promise<never> => gone;
  const api = new Proxy(remote, {
    get(target, prop, receiver) {
      if (isStopped) return prop === 'then' ? undefined : refused;
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'then') return v;
      // Reflect.apply, not v.apply: on a comlink proxy, `.apply` would name a remote property.
      return (...args: unknown[]) => (isStopped ? gone : Promise.race([Reflect.apply(v as (...a: unknown[]) => unknown, target, args), gone]));
    },
  });
  return { api, stopped: () => { isStopped = true; stopped(new Error('worker stopped')); } };
}
