/**
 * What a storage backend must do. Two implementations: `worker/serve/store/idb-store.ts` (IndexedDB, in the
 * worker) and `shared/memory-store.ts` (the fallback, in the worker or on the main thread).
 */
import type { ConsentState, EventType } from '../types.js';
import type { PerchEvent } from './events/index.js';
import type { Retention, StoreDump, StoreStats, StoreStatus, WriteBatch } from './worker-api.js';

export interface Store {
  readonly status: StoreStatus;
  /** Appends a batch in one transaction and trims to `retention.maxEvents` (oldest first). */
  append(batch: WriteBatch, retention: Retention): Promise<void>;
  /** Deletes events with `ts < cutoff`; returns how many. */
  pruneOlderThan(cutoff: number): Promise<number>;
  /** Deletes the `n` oldest events; returns how many. */
  pruneOldest(n: number): Promise<number>;
  /**
   * Deletes the events with these ids (`StoreDump.eventIds`) in one transaction; returns the ids that were
   * stored and are now gone. Ids not stored are ignored.
   */
  deleteEvents(ids: readonly number[]): Promise<number[]>;
  count(): Promise<number>;
  /** Makes every committed write durable (strict commit). */
  sync(): Promise<void>;
  stats(): Promise<StoreStats>;
  lastConsent(): Promise<ConsentState | null>;
  dump(): Promise<StoreDump>;
  /** What can be read without opening anything (the move to memory after a failure); null if nothing. */
  salvage(): Promise<StoreDump | null>;
  /** Erases everything this store holds (for IndexedDB: deletes the database). */
  destroy(): Promise<void>;
  close(): void;
}

/** Tallies stored events by type. */
export function countByType(events: Iterable<PerchEvent>): Partial<Record<EventType, number>> {
  const out: Partial<Record<EventType, number>> = {};
  for (const e of events) out[e.type] = (out[e.type] ?? 0) + 1;
  return out;
}

/** Logical size in bytes (UTF-16 code units of the JSON): an estimate of what the data costs on disk. */
export function jsonBytes(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}
