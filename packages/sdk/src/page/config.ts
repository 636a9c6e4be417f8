/**
 * Reading the shop's configuration, and the one IndexedDB call the page itself makes (deleting an old
 * database when no worker runs). Both must survive hostile input and browsers without IndexedDB.
 */
import type { PerchConfig } from '../types.js';
import type { StoreTestFlags } from '../shared/worker-api.js';

/** `PerchConfig` plus the test-only fault injection (not in the shop docs). */
export type InternalConfig = PerchConfig & { __test?: StoreTestFlags };

/**
 * Copies the shop's options once: its own enumerable keys (only the documented ones are ever read, so a new option
 * costs the loader nothing). A throwing getter or Proxy in the shop's object just drops that option, or all of them
 * when its keys cannot be listed.
 */
export function readConfig(config: unknown): InternalConfig {
  const out: Record<string, unknown> = {};
  if (!config || typeof config !== 'object') return out;
  let keys: string[] = [];
  try { keys = Object.keys(config); } catch { /* no readable keys: no options */ }
  for (const k of keys) {
    try {
      const v = (config as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = v;
    } catch { /* skip this option */ }
  }
  return out as InternalConfig;
}

/**
 * Without a worker (storage not granted) a database from an earlier visit is deleted from the page.
 * Deleting never creates one; a blocked delete stays queued and completes when other tabs let go.
 */
export function deleteFromPage(name: string): Promise<void> {
  return new Promise((resolve) => {
    try {
      if (typeof indexedDB === 'undefined') return resolve();
      const req = indexedDB.deleteDatabase(name);
      const t = setTimeout(resolve, 5_000);
      req.onsuccess = req.onerror = req.onblocked = () => { clearTimeout(t); resolve(); };
    } catch {
      resolve();
    }
  });
}
