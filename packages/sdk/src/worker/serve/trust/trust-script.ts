/**
 * How the worker reaches the model-version checks: `perch-trust.js` (built from `entries/trust.ts`) is a classic
 * script beside `perch-worker.js`, run with `importScripts` into this worker's global scope on first use, where
 * it leaves its exports on `self.perchTrust` (the same pattern as the model side, runtime-script.ts). Nothing is
 * loaded while no key is pinned.
 */
import type { ManifestChecker } from './checker.js';

/** The exports of `perch-trust.js`. */
export interface TrustScript { checker(dbName: string): ManifestChecker }

type Scope = Record<string, unknown> & { importScripts?: (...urls: string[]) => void; location?: { href: string } };

/** Runs `file` (beside the worker script) once and returns the global it defines as `name`; throws when it cannot. */
export function scriptBeside<T>(file: string, name: string): T {
  const scope = globalThis as unknown as Scope;
  if (!scope[name]) {
    if (typeof scope.importScripts !== 'function' || !scope.location) throw new Error('not in a classic worker');
    scope.importScripts(new URL(file, scope.location.href).href);
  }
  if (!scope[name]) throw new Error(`${file} did not register`);
  return scope[name] as T;
}

export const loadTrust = (): TrustScript => scriptBeside<TrustScript>('perch-trust.js', 'perchTrust');
