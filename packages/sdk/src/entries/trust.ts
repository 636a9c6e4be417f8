/**
 * Entry of `dist/perch-trust.js`: the model-version checks (signature, log, witness; checker.ts), loaded with
 * `importScripts` by the worker only when the page pins `modelKeys`, by whichever side needs it first (the model
 * side or the federated client); as an IIFE named `perchTrust` it leaves these exports on the worker's global
 * scope, so both sides share one checker per database. Ed25519 runs on WebCrypto; where the browser lacks it,
 * `perch-ed25519.js` (`@noble/ed25519`) is loaded on first use.
 */
import type { Ed25519Verify } from '@perch/model/export';
import { ManifestChecker } from '../worker/serve/trust/checker.js';
import { scriptBeside } from '../worker/serve/trust/trust-script.js';

export { ModelRefused } from '../worker/serve/trust/checker.js';

const checkers = new Map<string, ManifestChecker>();

/** Loads `perch-ed25519.js` beside the worker script (only on a browser whose WebCrypto has no Ed25519). */
async function fallback(): Promise<Ed25519Verify> {
  return scriptBeside<{ verify: Ed25519Verify }>('perch-ed25519.js', 'perchEd25519').verify;
}

/** The checker of database `dbName` (one per database, whatever the number of callers). */
export function checker(dbName: string): ManifestChecker {
  let c = checkers.get(dbName);
  if (!c) checkers.set(dbName, (c = new ManifestChecker(dbName, { fallback })));
  return c;
}
