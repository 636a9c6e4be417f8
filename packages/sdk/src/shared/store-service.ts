/**
 * The storage side of `PerchWorkerApi`, independent of where it runs. It serialises writes (batches that
 * arrive while a transaction is open are merged into the next one), applies retention, and degrades:
 * `QuotaExceededError` → prune the oldest events and retry once → memory; any other write failure →
 * memory. A batch is only acknowledged once it sits in a store, so an acknowledged event is never dropped.
 */
import type { ConsentState, DroppedField, IgnoredKind, StorageKind } from '../types.js';
import { isPushVia, readPush } from './events/datalayer.js';
import { errName } from './errors.js';
import { readEventIds } from './event-ids.js';
import { validateEvent } from './events/index.js';
import { MemoryStore } from './memory-store.js';
import { addCounts, emptyDropped, emptyIgnored } from './rejections.js';
import { ageCutoff, quotaPruneCount } from './retention.js';
import type { Store } from './store.js';
import type {
  ForgetEventsResult, PerchWorkerApi, StoreDump, StoreOptions, StoreStats, StoreStatus, WriteBatch,
} from './worker-api.js';

/** Opens the preferred store; must not throw (returns a memory store with a reason instead). */
export type StoreOpener = (options: StoreOptions) => Promise<Store>;

interface Job { batch: WriteBatch; resolve: (s: StoreStatus) => void }

export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || (e as { code?: unknown } | null)?.code === 22;
}

/**
 * Validates the page's raw calls (the event boundary runs here, off the main thread), in call order. Each
 * `track()` call becomes exactly one stored event or one rejection with a reason; each dataLayer push passed on
 * by the bridge becomes stored events and rejections (one per e-commerce action it carries) or one ignored count
 * of its kind. The fields dropped from stored events are listed with them.
 */
export function intake(batch: WriteBatch): WriteBatch {
  if (!batch.calls || !batch.calls.length) return batch;
  const out: WriteBatch = { events: batch.events.slice(), rejections: batch.rejections.slice(), consent: batch.consent };
  const dropped: DroppedField[] = batch.droppedFields?.slice() ?? [];
  const ignored: Partial<Record<IgnoredKind, number>> = { ...batch.ignored };
  const validate = (name: unknown, props: unknown, ts: number): void => {
    const r = validateEvent(name, props, ts);
    if (!r.ok) {
      out.rejections.push(r.rejection);
      return;
    }
    out.events.push(r.event);
    for (const f of r.issues) dropped.push({ ...f, event: r.event.type, ts: r.event.ts });
  };
  for (const [name, props, ts, via] of batch.calls) {
    if (via === undefined) {
      validate(name, props, ts);
      continue;
    }
    const meaning = isPushVia(via) ? readPush(via, name, props) : { ignored: 'metadata' as const };
    if ('ignored' in meaning) {
      ignored[meaning.ignored] = (ignored[meaning.ignored] ?? 0) + 1;
      continue;
    }
    for (const [n, p] of meaning.calls) validate(n, p, ts);
    for (const { fail, event } of meaning.refusals) out.rejections.push({ code: fail.code, reason: fail.reason, event, ts });
  }
  if (dropped.length) out.droppedFields = dropped;
  if (Object.keys(ignored).length) out.ignored = ignored;
  return out;
}

function screen(batch: WriteBatch, check: (event: unknown) => string | null): WriteBatch {
  const events: WriteBatch['events'] = [];
  const rejections = batch.rejections.slice();
  for (const e of batch.events) {
    const problem = check(e);
    if (problem === null) events.push(e);
    else rejections.push({ code: 'invalid_props', reason: `refused by the worker: ${problem}`, ts: Date.now() });
  }
  return events.length === batch.events.length ? batch : { events, rejections, consent: batch.consent };
}

function merge(jobs: Job[]): WriteBatch {
  if (jobs.length === 1) return (jobs[0] as Job).batch;
  const out: WriteBatch = { events: [], rejections: [], consent: [], droppedFields: [], ignored: {} };
  for (const { batch } of jobs) {
    for (const e of batch.events) out.events.push(e);
    for (const r of batch.rejections) out.rejections.push(r);
    for (const c of batch.consent) out.consent.push(c);
    for (const d of batch.droppedFields ?? []) out.droppedFields!.push(d);
    addCounts(out.ignored!, batch.ignored);
  }
  return out;
}

export { errName };

export class StoreService implements PerchWorkerApi {
  private options: StoreOptions | null = null;
  private store: Promise<Store> | null = null;
  private queue: Job[] = [];
  private draining: Promise<void> | null = null;
  private dirty = false;
  /** Status to report while erased (after `forget()`, nothing is open until the next write). */
  private erased: StoreStatus | null = null;

  /**
   * @param check optional re-check of each incoming event (the worker passes `storedEventProblem`): the
   *   storage side does not take the page's word for it; a malformed event becomes a counted rejection.
   */
  constructor(
    private readonly opener: StoreOpener,
    private readonly memoryKind: StorageKind,
    private readonly check?: (event: unknown) => string | null,
  ) {}

  async open(options: StoreOptions): Promise<StoreStatus> {
    this.options = options;
    const store = await this.current();
    try {
      await store.pruneOlderThan(ageCutoff(Date.now(), options.retention));
    } catch { /* retention is retried on the next open; never blocks startup */ }
    return store.status;
  }

  write(batch: WriteBatch): Promise<StoreStatus> {
    batch = intake(batch);
    if (this.check) batch = screen(batch, this.check);
    return new Promise((resolve) => {
      this.queue.push({ batch, resolve });
      this.pump();
    });
  }

  async flush(): Promise<StoreStatus> {
    while (this.draining || this.queue.length) {
      this.pump();
      await this.draining;
    }
    if (this.erased) return this.erased;
    const store = await this.current();
    if (this.dirty) {
      this.dirty = false;
      try { await store.sync(); } catch { /* the relaxed commit already happened; strict is best effort */ }
    }
    return store.status;
  }

  async stats(): Promise<StoreStats> {
    await this.flush();
    if (this.erased) return { ...this.erased, events: 0, bytes: 0, counts: {}, rejected: { total: 0, byCode: {}, recent: [] }, droppedFields: emptyDropped(), ignored: emptyIgnored(), consentLog: [] };
    return (await this.current()).stats();
  }

  async lastConsent(): Promise<ConsentState | null> {
    await this.flush();
    if (this.erased) return null;
    return (await this.current()).lastConsent();
  }

  async dump(): Promise<StoreDump> {
    await this.flush();
    if (this.erased) return { events: [], rejected: [], consentLog: [], consent: null };
    return (await this.current()).dump();
  }

  /**
   * Whether the database is erased: from the start of `forget()` until the next write begins. In-worker only
   * (the model cache asks it before opening a connection, which would recreate the database).
   */
  isErased(): boolean {
    return this.erased !== null;
  }

  async forget(): Promise<void> {
    // Queued batches are part of what is being forgotten: acknowledge them without writing.
    const dropped = this.queue.splice(0);
    // From this moment reads answer "erased" rather than open the store (a read racing the delete would
    // otherwise recreate the database after it); the status is refined below.
    this.erased ??= { kind: 'none' };
    await this.draining;
    const store = this.store ? await this.store : null;
    this.store = null;
    this.dirty = false;
    // Reads until the next write must not reopen (and so recreate) the database.
    this.erased = store?.status ?? { kind: 'none' };
    for (const j of dropped) j.resolve(this.erased);
    if (store) await store.destroy();
  }

  /**
   * Deletes single events by id. Writes received before the call are committed first, so an id the page
   * saw in an export is found. After `forget()` nothing is open and nothing is reopened: every id is missing.
   * Invalid ids are refused with an error (the page checks them first and reports the reason).
   */
  async forgetEvents(ids: number[]): Promise<ForgetEventsResult> {
    const read = readEventIds(ids);
    if ('problem' in read) throw new TypeError(read.problem);
    await this.flush();
    if (this.erased) return { deleted: [], missing: read.ids };
    const deleted = await (await this.current()).deleteEvents(read.ids);
    const gone = new Set(deleted);
    return { deleted, missing: read.ids.filter((id) => !gone.has(id)) };
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    if (this.store && !this.erased) (await this.store).close();
    this.store = null;
  }

  private current(): Promise<Store> {
    if (!this.store) {
      const opts = this.options;
      this.store = opts
        ? this.opener(opts).catch((e) => new MemoryStore(this.memoryKind, `open failed: ${errName(e)}`))
        : Promise.resolve(new MemoryStore(this.memoryKind, 'not opened'));
    }
    return this.store;
  }

  private pump(): void {
    if (this.draining || !this.queue.length) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      this.pump();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const jobs = this.queue.splice(0);
      const status = await this.commit(merge(jobs));
      for (const j of jobs) j.resolve(status);
    }
  }

  /** Never rejects: the batch ends up in IndexedDB or, failing that, in memory. */
  private async commit(batch: WriteBatch): Promise<StoreStatus> {
    const retention = (this.options as StoreOptions).retention;
    this.erased = null;
    let store = await this.current();
    try {
      await store.append(batch, retention);
    } catch (e) {
      let reason = `write failed: ${errName(e)}`;
      if (isQuotaError(e)) {
        reason = 'quota exceeded after pruning';
        try {
          await store.pruneOldest(quotaPruneCount(await store.count(), batch.events.length));
          await store.append(batch, retention);
          this.dirty = true;
          return store.status;
        } catch { /* fall through to memory */ }
      }
      store = await this.toMemory(store, reason);
      await store.append(batch, retention);
    }
    this.dirty = true;
    return store.status;
  }

  /** Moves to memory, carrying over what the failing store can still read. */
  private async toMemory(from: Store, reason: string): Promise<Store> {
    let seed: StoreDump | undefined;
    try { seed = (await from.salvage()) ?? undefined; } catch { seed = undefined; }
    try { from.close(); } catch { /* already broken */ }
    const mem = new MemoryStore(this.memoryKind, reason, seed);
    this.store = Promise.resolve(mem);
    return mem;
  }
}
