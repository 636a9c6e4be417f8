/**
 * The one IndexedDB schema of Perch: every store, its key, its indexes, what it keeps and for how long.
 * Only the worker opens this database. Bump `DB_VERSION` and add a step to `upgrade()` for any change;
 * never edit a past step (a visitor may come back from any older version).
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { ConsentLogEntry, DroppedFieldSummary, EventType, IgnoredSummary, RejectCode, Rejection } from '../../../types.js';
import type { PerchEvent } from '../../../shared/events/index.js';

export const DB_VERSION = 2;

/** Counters kept under `meta`. */
export interface MetaValues {
  /** All rejections ever counted on this device (the `rejections` store keeps only the newest). */
  rejectCounts: { total: number; byCode: Partial<Record<RejectCode, number>> };
  /** Time of the last strict (durable) commit: `flush()` writes it. */
  lastFlush: number;
  /**
   * Fields dropped from stored events (counted by generic field name, the newest 50 with their reasons) and
   * dataLayer pushes counted as not e-commerce (by kind). A key of `meta`, not a store: no schema step.
   */
  intakeCounts: { dropped: DroppedFieldSummary; ignored: IgnoredSummary };
}

export interface PerchDB extends DBSchema {
  /**
   * The shopper's event sequence, minimised by `validateEvent` (ids, types, buckets: no names, prices or
   * user ids). Key: auto-increment (insertion order across tabs). Kept until `retention.maxEvents`
   * (default 5,000, oldest deleted first) or `retention.maxAgeDays` (default 90 days), or `forget()`.
   */
  events: { key: number; value: PerchEvent; indexes: { 'by-ts': number; 'by-type': EventType } };
  /**
   * Every consent decision (source, time, full state), for the shopper and a privacy reviewer.
   * Kept as long as the database exists (deleted by `forget()` or withdrawing `storage`).
   */
  consent: { key: number; value: ConsentLogEntry };
  /**
   * The newest rejected `track()` calls (code, reason, truncated event name; never the payload),
   * to help shops fix their tagging. At most `MAX_RECENT_REJECTIONS` (100), older ones deleted.
   */
  rejections: { key: number; value: Rejection };
  /** Small counters and bookkeeping (`MetaValues`); same lifetime as the database. */
  meta: { key: keyof MetaValues; value: MetaValues[keyof MetaValues] };
  /**
   * The reranking model and the live intent state (`worker/serve/model/cache.ts`): key 'model' holds the last
   * verified model files (public, not personal: re-verified by SHA-256 at every load) and the manifest's
   * ETag; key 'intent' the GRU state after the shopper's events (a vector, no ids). Kept until a newer
   * model replaces it, `forget()`, or storage consent is withdrawn (the database is deleted).
   */
  model: { key: string; value: unknown };
}

export type PerchDatabase = IDBPDatabase<PerchDB>;

/** Migration ladder: each step brings a database from version `n - 1` to `n`. */
export function upgrade(
  db: PerchDatabase,
  oldVersion: number,
  _newVersion: number | null,
  _tx: IDBPTransaction<PerchDB, StoreNames<PerchDB>[], 'versionchange'>,
): void {
  if (oldVersion < 1) {
    const events = db.createObjectStore('events', { autoIncrement: true });
    events.createIndex('by-ts', 'ts');
    events.createIndex('by-type', 'type');
    db.createObjectStore('consent', { autoIncrement: true });
    db.createObjectStore('rejections', { autoIncrement: true });
    db.createObjectStore('meta');
  }
  if (oldVersion < 2) {
    db.createObjectStore('model');
  }
}
