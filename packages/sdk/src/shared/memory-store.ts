/**
 * In-memory store: the fallback when IndexedDB is missing, hangs, or runs out of quota (in the worker,
 * kind `memory-worker`) or when the worker cannot start at all (on the main thread, `memory-main`).
 * Same behaviour as the IndexedDB store, lost when the page goes away; `audit()` says so.
 */
import type { ConsentLogEntry, ConsentState, StorageKind } from '../types.js';
import type { PerchEvent } from './events/index.js';
import { addRejections, emptySummary } from './rejections.js';
import { excessCount } from './retention.js';
import { countByType, jsonBytes, type Store } from './store.js';
import type { Retention, StoreDump, StoreStats, StoreStatus, WriteBatch } from './worker-api.js';

export class MemoryStore implements Store {
  readonly status: StoreStatus;
  private events: PerchEvent[] = [];
  private rejected = emptySummary();
  private consentLog: ConsentLogEntry[] = [];

  constructor(kind: StorageKind, reason?: string, seed?: StoreDump) {
    this.status = reason ? { kind, reason } : { kind };
    if (seed) {
      this.events = seed.events.slice();
      addRejections(this.rejected, seed.rejected);
      this.consentLog = seed.consentLog.slice();
    }
  }

  async append(batch: WriteBatch, retention: Retention): Promise<void> {
    for (const e of batch.events) this.events.push(e);
    addRejections(this.rejected, batch.rejections);
    for (const c of batch.consent) this.consentLog.push(c);
    const extra = excessCount(this.events.length, retention);
    if (extra) this.events.splice(0, extra);
  }

  async pruneOlderThan(cutoff: number): Promise<number> {
    const before = this.events.length;
    this.events = this.events.filter((e) => e.ts >= cutoff);
    return before - this.events.length;
  }

  async pruneOldest(n: number): Promise<number> {
    return this.events.splice(0, Math.max(0, n)).length;
  }

  async count(): Promise<number> {
    return this.events.length;
  }

  async sync(): Promise<void> {}

  async stats(): Promise<StoreStats> {
    return {
      ...this.status,
      events: this.events.length,
      bytes: jsonBytes(this.events) + jsonBytes(this.consentLog) + jsonBytes(this.rejected),
      counts: countByType(this.events),
      rejected: { ...this.rejected, byCode: { ...this.rejected.byCode }, recent: this.rejected.recent.slice() },
      consentLog: this.consentLog.slice(),
    };
  }

  async lastConsent(): Promise<ConsentState | null> {
    const last = this.consentLog[this.consentLog.length - 1];
    return last ? { ...last.state } : null;
  }

  async dump(): Promise<StoreDump> {
    const last = this.consentLog[this.consentLog.length - 1];
    return {
      events: this.events.slice(),
      rejected: this.rejected.recent.slice(),
      consentLog: this.consentLog.slice(),
      consent: last ? { ...last.state } : null,
    };
  }

  async destroy(): Promise<void> {
    this.events = [];
    this.rejected = emptySummary();
    this.consentLog = [];
  }

  close(): void {}
}
