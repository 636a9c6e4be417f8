/**
 * Compile-only checks (run by `tsc`, never executed or bundled): what the page gets from comlink's
 * `wrap<PerchWorkerApi>` is promise-returning and structured-cloneable, and both implementations satisfy
 * the one contract.
 */
import type { Remote } from 'comlink';
import type { MainMemoryApi } from './page/storage/memory-api.js';
import type { StoreService } from './shared/store-service.js';
import type { PerchWorkerApi, StoreStats, StoreStatus } from './shared/worker-api.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

type R = Remote<PerchWorkerApi>;
assertType<Equal<ReturnType<R['write']>, Promise<StoreStatus>>>();
assertType<Equal<ReturnType<R['stats']>, Promise<StoreStats>>>();
assertType<Equal<Parameters<R['open']>, Parameters<PerchWorkerApi['open']>>>();
// Every member of the contract (the optional model methods too) is a function returning a promise (nothing comlink would proxy).
assertType<{ [K in keyof PerchWorkerApi]-?: NonNullable<PerchWorkerApi[K]> extends (...a: never[]) => Promise<unknown> ? true : false }[keyof PerchWorkerApi]>();
const worker: PerchWorkerApi = null as unknown as StoreService;
const main: PerchWorkerApi = null as unknown as MainMemoryApi;
void worker;
void main;
