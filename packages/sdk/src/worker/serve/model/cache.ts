/**
 * The model's corner of the Perch database (store `model`, schema step 2): the last verified model files
 * with the manifest's ETag, and the saved intent state. Its own connection, so the event store's
 * transactions are never held up by a multi-megabyte model write. Every failure degrades to "no cache".
 */
import type { PerchEvent } from '../../../shared/events/index.js';
import type { PerchDatabase } from '../store/schema.js';
import { openPerchDB } from '../store/open.js';

/** A verified model as cached: the manifest bytes and every file it lists. */
export interface CachedModel {
  version: string;
  etag: string | null;
  manifestSha256: string;
  manifest: Uint8Array;
  files: Record<string, Uint8Array>;
  savedAt: number;
}

/** The intent state as saved: GRU hidden vector, for which model, and how far into the event sequence. */
export interface SavedIntent {
  modelVersion: string;
  h: Float32Array;
  length: number;
  /** Key of the newest stored event folded in. */
  lastKey: number;
}

/** A stored event with its key (insertion order across tabs). */
export interface KeyedEvent { key: number; value: PerchEvent }

export class ModelCache {
  private db: Promise<PerchDatabase | null> | null = null;

  /**
   * @param erased the event store's own answer to "is the database erased?" (from `forget()` until events are
   *   stored again). While it is true no connection is opened: opening one creates the database, so a model
   *   download or a saved intent state that finishes after the erase would otherwise bring the deleted database
   *   back (with the pre-erase intent state in it). One source of truth, so the two sides cannot disagree.
   */
  constructor(private readonly dbName: string, private readonly timeoutMs: number, private readonly erased: () => boolean) {}

  async readModel(): Promise<CachedModel | null> {
    return (await this.get('model')) as CachedModel | null;
  }

  writeModel(m: CachedModel): Promise<boolean> {
    return this.put('model', m);
  }

  async readIntent(): Promise<SavedIntent | null> {
    return (await this.get('intent')) as SavedIntent | null;
  }

  writeIntent(s: SavedIntent): Promise<boolean> {
    return this.put('intent', s);
  }

  /**
   * Events with key > `after`, oldest first; only the newest `limit` are returned (older ones could not
   * change a GRU state truncated to `limit` events anyway). Null when the database cannot be read.
   */
  async eventsAfter(after: number, limit: number): Promise<KeyedEvent[] | null> {
    try {
      const db = await this.conn();
      if (!db) return null;
      const out: KeyedEvent[] = [];
      let cur = await db.transaction('events').store.openCursor(IDBKeyRange.lowerBound(after, true), 'prev');
      while (cur && out.length < limit) {
        out.push({ key: cur.key, value: cur.value });
        cur = await cur.continue();
      }
      return out.reverse();
    } catch {
      return null;
    }
  }

  /**
   * Drops the connection (another tab deletes the database, or `forget()` here: until events are stored again
   * `erased()` keeps it from reopening, so reads find nothing and writes are dropped).
   */
  close(): void {
    void this.db?.then((d) => d?.close());
    this.db = null;
  }

  private conn(): Promise<PerchDatabase | null> {
    if (this.erased()) return Promise.resolve(null);
    if (!this.db) {
      this.db = openPerchDB(this.dbName, this.timeoutMs, () => { this.db = null; }).catch(() => {
        this.db = null;
        return null;
      });
    }
    return this.db;
  }

  private async get(key: string): Promise<unknown> {
    try {
      const db = await this.conn();
      return db ? ((await db.get('model', key)) ?? null) : null;
    } catch {
      return null;
    }
  }

  private async put(key: string, value: unknown): Promise<boolean> {
    try {
      const db = await this.conn();
      if (!db) return false;
      await db.put('model', value, key);
      return true;
    } catch {
      return false;
    }
  }
}
