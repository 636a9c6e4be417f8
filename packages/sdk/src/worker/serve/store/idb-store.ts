/**
 * IndexedDB store (worker only). One `relaxed` readwrite transaction per batch: events, rejections,
 * counters and consent entries commit together, and count retention is applied in the same transaction,
 * so several tabs writing at once never lose or double-trim anything (IndexedDB serialises them).
 */
import { deleteDB, type IDBPTransaction } from 'idb';
import type { ConsentState, Rejection } from '../../../types.js';
import { MAX_RECENT_REJECTIONS, addDropped, addIgnored, emptyDropped, emptyIgnored } from '../../../shared/rejections.js';
import { excessCount } from '../../../shared/retention.js';
import { countByType, jsonBytes, type Store } from '../../../shared/store.js';
import type { Retention, StoreDump, StoreStats, StoreStatus, WriteBatch } from '../../../shared/worker-api.js';
import { openPerchDB } from './open.js';
import type { MetaValues, PerchDB, PerchDatabase } from './schema.js';

/** How long `forget()` waits for other tabs to let go before reporting done (the delete stays queued). */
const DELETE_WAIT_MS = 5_000;

type WriteTx = IDBPTransaction<PerchDB, ('events' | 'rejections' | 'meta')[], 'readwrite'>;

/**
 * Runs `issue` (which starts requests on `tx`) and waits for all of them and the commit. A synchronous
 * throw (e.g. QuotaExceededError from `add`) aborts the transaction so nothing half-written commits.
 */
async function settle(tx: { done: Promise<void>; abort(): void }, issue: (pending: Promise<unknown>[]) => void): Promise<void> {
  const pending: Promise<unknown>[] = [];
  try {
    issue(pending);
  } catch (e) {
    try { tx.abort(); } catch { /* already finished */ }
    await Promise.allSettled([...pending, tx.done]);
    throw e;
  }
  const results = await Promise.allSettled([...pending, tx.done]);
  const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed) throw failed.reason;
}
type Cursor = { delete(): Promise<void>; continue(): Promise<Cursor | null> } | null;

async function deleteFromStart(cursor: Cursor, n: number): Promise<number> {
  let done = 0;
  while (cursor && done < n) {
    void cursor.delete();
    done++;
    cursor = await cursor.continue();
  }
  return done;
}

export class IdbStore implements Store {
  readonly status: StoreStatus = { kind: 'indexeddb' };
  private db: PerchDatabase | null;
  /** Set by `destroy()`: an operation still in flight must not reopen, and so recreate, the deleted database. */
  private destroyed = false;

  private constructor(private readonly name: string, private readonly timeoutMs: number, db: PerchDatabase) {
    this.db = db;
  }

  static async open(name: string, timeoutMs: number): Promise<IdbStore> {
    let store: IdbStore | undefined;
    const db = await openPerchDB(name, timeoutMs, () => store?.lost());
    store = new IdbStore(name, timeoutMs, db);
    return store;
  }

  /** Another tab deleted or upgraded the database: reconnect on the next operation. */
  private lost(): void {
    this.db = null;
  }

  private async conn(): Promise<PerchDatabase> {
    if (this.destroyed) throw new Error('the database was erased');
    if (!this.db) this.db = await openPerchDB(this.name, this.timeoutMs, () => this.lost());
    return this.db;
  }

  async append(batch: WriteBatch, retention: Retention): Promise<void> {
    const db = await this.conn();
    try {
      await this.appendOn(db, batch, retention);
    } catch (e) {
      // Another tab deleted or upgraded the database while this batch was on its way, and the connection closed
      // under it. `appendOn` throws only when nothing of the batch committed, so it goes once more on a fresh
      // connection rather than to memory for the rest of the session. The batch was sent before this tab heard
      // of any erase: if the delete was a forget(), its notice reaches this tab's store and erases again.
      if (this.db === db || this.destroyed) throw e;
      await this.appendOn(await this.conn(), batch, retention);
    }
  }

  private async appendOn(db: PerchDatabase, batch: WriteBatch, retention: Retention): Promise<void> {
    const first = batch.events.length > 0 || batch.consent.length > 0;
    if (first) {
      // Events and consent first, committed explicitly as soon as the requests are issued: the shortest
      // window in which a page that is going away can still lose them.
      const tx = db.transaction(['events', 'consent'], 'readwrite', { durability: 'relaxed' });
      await settle(tx, (pending) => {
        for (const e of batch.events) pending.push(tx.objectStore('events').add(e));
        for (const c of batch.consent) pending.push(tx.objectStore('consent').add(c));
        tx.commit();
      });
    }
    const counted = (batch.droppedFields?.length ?? 0) > 0 || (batch.ignored !== undefined && Object.keys(batch.ignored).length > 0);
    if (!batch.events.length && !batch.rejections.length && !counted) return;
    // Then retention and the rejection log: count and delete in one transaction, so two tabs trimming at
    // once never delete more than the excess. Best effort, even when it cannot start (the connection closed
    // in between): a retry would duplicate what the step above committed, and retention runs again with the
    // next batch. One exception: a batch of rejections alone whose connection was lost is retried by `append`.
    try {
      const tx = db.transaction(['events', 'rejections', 'meta'], 'readwrite', { durability: 'relaxed' });
      await settle(tx, (pending) => {
        const events = tx.objectStore('events');
        if (batch.rejections.length) pending.push(this.addRejections(tx, batch.rejections));
        if (counted) pending.push(this.addCounts(tx, batch));
        if (batch.events.length) pending.push(events.count().then(async (n) => deleteFromStart(await events.openCursor(), excessCount(n, retention))));
      });
    } catch (e) {
      if (!first && this.db !== db) throw e;
    }
  }

  private async addRejections(tx: WriteTx, list: readonly Rejection[]): Promise<void> {
    const store = tx.objectStore('rejections');
    const meta = tx.objectStore('meta');
    for (const r of list.slice(-MAX_RECENT_REJECTIONS)) void store.add(r);
    const counts = ((await meta.get('rejectCounts')) as MetaValues['rejectCounts'] | undefined) ?? { total: 0, byCode: {} };
    for (const r of list) {
      counts.total++;
      counts.byCode[r.code] = (counts.byCode[r.code] ?? 0) + 1;
    }
    void meta.put(counts, 'rejectCounts');
    const n = await store.count();
    await deleteFromStart(await store.openCursor(), n - MAX_RECENT_REJECTIONS);
  }

  /** Adds the batch's dropped fields and ignored pushes to the counters under `meta`. */
  private async addCounts(tx: WriteTx, batch: WriteBatch): Promise<void> {
    const meta = tx.objectStore('meta');
    const c = ((await meta.get('intakeCounts')) as MetaValues['intakeCounts'] | undefined) ?? { dropped: emptyDropped(), ignored: emptyIgnored() };
    addDropped(c.dropped, batch.droppedFields);
    addIgnored(c.ignored, batch.ignored);
    await meta.put(c, 'intakeCounts');
  }

  async pruneOlderThan(cutoff: number): Promise<number> {
    const tx = (await this.conn()).transaction('events', 'readwrite', { durability: 'relaxed' });
    const cursor = await tx.store.index('by-ts').openCursor(IDBKeyRange.upperBound(cutoff, true));
    const n = await deleteFromStart(cursor, Infinity);
    await tx.done;
    return n;
  }

  async pruneOldest(n: number): Promise<number> {
    const tx = (await this.conn()).transaction('events', 'readwrite', { durability: 'relaxed' });
    const done = await deleteFromStart(await tx.store.openCursor(), n);
    await tx.done;
    return done;
  }

  /**
   * Deletes the given events and, when any went, the saved intent state (key 'intent' of the `model` store)
   * in the same transaction: that state was computed from the deleted events, so the next model start
   * rebuilds it from what is left instead of restoring it.
   */
  async deleteEvents(ids: readonly number[]): Promise<number[]> {
    const tx = (await this.conn()).transaction(['events', 'model'], 'readwrite', { durability: 'strict' });
    const events = tx.objectStore('events');
    const gone: number[] = [];
    for (const id of ids) {
      if ((await events.getKey(id)) === undefined) continue;
      void events.delete(id);
      gone.push(id);
    }
    if (gone.length) void tx.objectStore('model').delete('intent');
    await tx.done;
    return gone;
  }

  async count(): Promise<number> {
    return (await this.conn()).count('events');
  }

  async sync(): Promise<void> {
    const tx = (await this.conn()).transaction('meta', 'readwrite', { durability: 'strict' });
    void tx.store.put(Date.now(), 'lastFlush');
    await tx.done;
  }

  async stats(): Promise<StoreStats> {
    const dump = await this.dump();
    const db = await this.conn();
    const counts = ((await db.get('meta', 'rejectCounts')) as MetaValues['rejectCounts'] | undefined) ?? { total: 0, byCode: {} };
    const intake = (await db.get('meta', 'intakeCounts')) as MetaValues['intakeCounts'] | undefined;
    return {
      ...this.status,
      events: dump.events.length,
      bytes: jsonBytes(dump.events) + jsonBytes(dump.consentLog) + jsonBytes(dump.rejected) + jsonBytes(counts) + jsonBytes(intake),
      counts: countByType(dump.events),
      rejected: { total: counts.total, byCode: counts.byCode, recent: dump.rejected },
      droppedFields: intake?.dropped ?? emptyDropped(),
      ignored: intake?.ignored ?? emptyIgnored(),
      consentLog: dump.consentLog,
    };
  }

  async lastConsent(): Promise<ConsentState | null> {
    const cursor = await (await this.conn()).transaction('consent').store.openCursor(null, 'prev');
    return cursor ? cursor.value.state : null;
  }

  /**
   * What the open connection can still read, for the move to memory. Null when the connection was lost:
   * reopening then would recreate the database another tab just deleted (empty, and left behind).
   */
  async salvage(): Promise<StoreDump | null> {
    if (!this.db || this.destroyed) return null;
    return this.dump();
  }

  async dump(): Promise<StoreDump> {
    const db = await this.conn();
    const tx = db.transaction(['events', 'rejections', 'consent'], 'readonly');
    const [events, eventIds, rejected, consentLog] = await Promise.all([
      tx.objectStore('events').getAll(),
      tx.objectStore('events').getAllKeys(),
      tx.objectStore('rejections').getAll(),
      tx.objectStore('consent').getAll(),
    ]);
    const last = consentLog[consentLog.length - 1];
    return { events, eventIds, rejected, consentLog, consent: last ? last.state : null };
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    this.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      deleteDB(this.name).catch(() => undefined),
      new Promise<void>((r) => { timer = setTimeout(r, DELETE_WAIT_MS); }),
    ]);
    clearTimeout(timer);
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}
