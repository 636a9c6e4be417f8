/**
 * Opens the Perch database with a deadline. IndexedDB can be missing (some private modes, old
 * embedded browsers), blocked by another tab's old connection, or simply never answer; after
 * `idbOpenTimeoutMs` the caller falls back to memory instead of waiting forever.
 */
import { openDB } from 'idb';
import { DB_VERSION, type PerchDB, type PerchDatabase, upgrade } from './schema.js';

export class OpenError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'OpenError';
  }
}

/**
 * @param onLost called when this connection must go: another tab upgrades or deletes the database
 *   (`forget()` elsewhere), or the browser closes it. The connection is already closed by then.
 */
export function openPerchDB(name: string, timeoutMs: number, onLost: () => void): Promise<PerchDatabase> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return Promise.reject(new OpenError('IndexedDB unavailable'));
  let db: PerchDatabase | undefined;
  let settled = false;
  return new Promise<PerchDatabase>((resolve, reject) => {
    const timer = setTimeout(() => {
      settled = true;
      reject(new OpenError(`IndexedDB open timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    openDB<PerchDB>(name, DB_VERSION, {
      upgrade,
      blocking() {
        // Another connection wants a new version or a delete: step aside.
        db?.close();
        onLost();
      },
      terminated: onLost,
    }).then(
      (opened) => {
        db = opened;
        clearTimeout(timer);
        if (settled) opened.close(); // too late: the caller already fell back
        else { settled = true; resolve(opened); }
      },
      (e: unknown) => {
        clearTimeout(timer);
        if (!settled) { settled = true; reject(new OpenError(`IndexedDB open failed: ${(e as Error)?.name ?? String(e)}`)); }
      },
    );
  });
}
