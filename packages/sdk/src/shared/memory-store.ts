/**
 * In-memory store: the fallback when IndexedDB is missing, hangs, or runs out of quota (in the worker,
 * kind `memory-worker`) or when the worker cannot start at all (on the main thread, `memory-main`).
 * Same behaviour as the IndexedDB store, lost when the page goes away; `audit()` says so.
 */
import type { ConsentLogEntry, ConsentState, StorageKind } from '../types.js';
import type { PerchEvent } from './events/index.js';
import { addDropped, addIgnored, addRejections, copyDropped, copyIgnored, emptyDropped, emptyIgnored, emptySummary } from './rejections.js';
import { excessCount } from './retention.js';
import { countByType, jsonBytes, type Store } from './store.js';
import type { Retention, StoreDump, StoreStats, StoreStatus, WriteBatch } from './worker-api.js';

export class MemoryStore implements Store {
  readonly status: StoreStatus;
  private events: PerchEvent[] = [];
  /** Id of each event (parallel to `events`): increasing, never reused, like IndexedDB's keys. */
  private ids: number[] = [];
  private nextId = 1;
  private rejected = emptySummary();
  private droppedFields = emptyDropped();
  private ignored = emptyIgnored();
  private consentLog: ConsentLogEntry[] = [];

  constructor(kind: StorageKind, reason?: string, seed?: StoreDump) {
    this.status = reason ? { kind, reason } : { kind };
    if (seed) {
      this.events = seed.events.slice();
      // Keep the ids a failing IndexedDB store handed over, so ids the page already saw stay valid.
      const ids = seed.eventIds;
      this.ids = ids && ids.length === this.events.length ? ids.slice() : this.events.map((_, i) => i + 1);
      this.nextId = this.ids.reduce((m, id) => Math.max(m, id), 0) + 1;
      addRejections(this.rejected, seed.rejected);
      this.consentLog = seed.consentLog.slice();
    }
  }

  async append(batch: WriteBatch, retention: Retention): Promise<void> {
    for (const e of batch.events) {
      this.events.push(e);
      this.ids.push(this.nextId++);
    }
    addRejections(this.rejected, batch.rejections);
    addDropped(this.droppedFields, batch.droppedFields);
    addIgnored(this.ignored, batch.ignored);
    for (const c of batch.consent) this.consentLog.push(c);
    const extra = excessCount(this.events.length, retention);
    if (extra) this.pruneOldestSync(extra);
  }

  async pruneOlderThan(cutoff: number): Promise<number> {
    return this.keepWhere((i) => (this.events[i] as PerchEvent).ts >= cutoff);
  }

  async pruneOldest(n: number): Promise<number> {
    return this.pruneOldestSync(n);
  }

  async deleteEvents(ids: readonly number[]): Promise<number[]> {
    const wanted = new Set(ids);
    const gone: number[] = [];
    this.keepWhere((i) => {
      const id = this.ids[i] as number;
      if (!wanted.has(id)) return true;
      gone.push(id);
      return false;
    });
    return gone;
  }

  private pruneOldestSync(n: number): number {
    this.ids.splice(0, Math.max(0, n));
    return this.events.splice(0, Math.max(0, n)).length;
  }

  /** Keeps the events (and their ids) at the positions `keep` accepts; returns how many went. */
  private keepWhere(keep: (i: number) => boolean): number {
    const before = this.events.length;
    const events: PerchEvent[] = [];
    const ids: number[] = [];
    for (let i = 0; i < before; i++) {
      if (!keep(i)) continue;
      events.push(this.events[i] as PerchEvent);
      ids.push(this.ids[i] as number);
    }
    this.events = events;
    this.ids = ids;
    return before - events.length;
  }

  async count(): Promise<number> {
    return this.events.length;
  }

  async sync(): Promise<void> {}

  async stats(): Promise<StoreStats> {
    return {
      ...this.status,
      events: this.events.length,
      bytes: jsonBytes(this.events) + jsonBytes(this.consentLog) + jsonBytes(this.rejected) + jsonBytes(this.droppedFields) + jsonBytes(this.ignored),
      counts: countByType(this.events),
      rejected: { ...this.rejected, byCode: { ...this.rejected.byCode }, recent: this.rejected.recent.slice() },
      droppedFields: copyDropped(this.droppedFields),
      ignored: copyIgnored(this.ignored),
      consentLog: this.consentLog.slice(),
    };
  }

  async lastConsent(): Promise<ConsentState | null> {
    const last = this.consentLog[this.consentLog.length - 1];
    return last ? { ...last.state } : null;
  }

  salvage(): Promise<StoreDump | null> {
    return this.dump();
  }

  async dump(): Promise<StoreDump> {
    const last = this.consentLog[this.consentLog.length - 1];
    return {
      events: this.events.slice(),
      eventIds: this.ids.slice(),
      rejected: this.rejected.recent.slice(),
      consentLog: this.consentLog.slice(),
      consent: last ? { ...last.state } : null,
    };
  }

  async destroy(): Promise<void> {
    this.events = [];
    this.ids = [];
    this.rejected = emptySummary();
    this.droppedFields = emptyDropped();
    this.ignored = emptyIgnored();
    this.consentLog = [];
  }

  close(): void {}
}
