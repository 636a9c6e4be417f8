/**
 * The device's trust state, in its own small IndexedDB database `<dbName>:trust`: the last version-log checkpoint it
 * accepted, `{index, head}` (with the key that signed it and the witness checkpoint it was checked against). It
 * holds no behaviour, and `forget()` does not erase it: erasing it would let a server replay an old version after
 * a forget. Shared by every tab: advancing is a compare-and-set inside one transaction. Raw IndexedDB (a few
 * calls), so the trust script carries no library.
 */
import type { LogPoint } from '@perch/model/export';

export interface TrustRecord extends LogPoint {
  keyId: string;
  /** The witness checkpoint the version was checked against, if a witness was configured. */
  witness?: LogPoint;
  at: number;
}

const STORE = 'kv';
const KEY = 'checkpoint';

const done = <T>(r: IDBRequest<T>): Promise<T> => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });

export class TrustState {
  private db: Promise<IDBDatabase> | null = null;

  constructor(private readonly name: string) {}

  private open(): Promise<IDBDatabase> {
    if (!this.db) {
      const req = indexedDB.open(this.name, 1);
      req.onupgradeneeded = () => { req.result.createObjectStore(STORE); };
      this.db = done(req).then((db) => {
        db.onversionchange = () => { db.close(); this.db = null; };
        return db;
      });
      this.db.catch(() => { this.db = null; });
    }
    return this.db;
  }

  /** The last accepted checkpoint, or null before the first. Throws when IndexedDB cannot be read (fail closed). */
  async read(): Promise<TrustRecord | null> {
    const db = await this.open();
    return ((await done(db.transaction(STORE).objectStore(STORE).get(KEY))) as TrustRecord | undefined) ?? null;
  }

  /**
   * Writes `next` if the stored checkpoint is still `expected` (same index and head, or both absent); false when
   * another tab changed it meanwhile (the caller checks again against the new one).
   */
  async advance(expected: LogPoint | null, next: TrustRecord): Promise<boolean> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    const cur = ((await done(store.get(KEY))) as TrustRecord | undefined) ?? null;
    const same = cur === null ? expected === null : expected !== null && cur.index === expected.index && cur.head === expected.head;
    if (!same) { tx.abort(); return false; }
    store.put(next, KEY);
    await new Promise<void>((resolve, reject) => { tx.oncomplete = () => resolve(); tx.onerror = tx.onabort = () => reject(tx.error); });
    return true;
  }
}
