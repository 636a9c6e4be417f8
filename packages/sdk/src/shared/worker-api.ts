/**
 * The one contract between the page and the storage side. The web worker implements it and calls
 * comlink's `expose`; the page calls `wrap<PerchWorkerApi>` with a type-only import. The main-thread
 * memory fallback implements the same interface, so the page never knows which one it talks to.
 * Everything crossing it is structured-cloneable plain data.
 */
import type {
  ConsentLogEntry, ConsentState, DroppedField, DroppedFieldSummary, EventType, IgnoredKind, IgnoredSummary, RejectCode, Rejection, StorageKind,
} from '../types.js';
import type { PushVia } from './events/datalayer.js';
import type { PerchEvent } from './events/index.js';
import type { PerchModelApi } from './rerank/api.js';
import type { PerchFederatedApi } from './federated/api.js';

/** Retention actually applied (defaults filled in). */
export interface Retention { maxEvents: number; maxAgeDays: number }

/**
 * Fault injection for the browser tests only. Not part of `PerchConfig` and not in the shop docs:
 * the fixtures pass it as `__test` and the worker applies it to its own global scope before opening.
 */
export interface StoreTestFlags {
  /** Delete `indexedDB` from the worker scope (browser without IndexedDB). */
  noIndexedDB?: boolean;
  /** `indexedDB.open` never answers (hung or blocked open). */
  hangOpen?: boolean;
  /** Make `IDBObjectStore.add/put` throw `QuotaExceededError`: on the first write only, or always. */
  quota?: 'once' | 'always';
  /** Keep each secure-aggregation round's encoded vector (before masking) on the worker's global scope, for a test to sum. */
  keepSecAggInput?: boolean;
}

export interface StoreOptions {
  dbName: string;
  retention: Retention;
  idbOpenTimeoutMs: number;
  test?: StoreTestFlags;
}

/** What the storage side holds right now and why. */
export interface StoreStatus { kind: StorageKind; reason?: string }

/**
 * One raw `track()` call as the page saw it: a bounded, structured-cloneable snapshot of the arguments
 * (see `page/track/snapshot.ts`) and the time of the call. The storage side validates it (`validateEvent`).
 * With `via`, it is a dataLayer or gtag push the page's bridge passed on (`readPush` says what it means).
 */
export type RawCall = [name: unknown, props: unknown, ts: number, via?: PushVia];

/**
 * One write: raw calls still to validate (in call order), already validated events, rejections, and
 * consent log entries. The page sends `calls`; `events` come from the storage side's own validation.
 */
export interface WriteBatch {
  calls?: RawCall[];
  events: PerchEvent[];
  rejections: Rejection[];
  consent: ConsentLogEntry[];
  /** Fields dropped or cut from the batch's stored events (the storage side's validation fills it). */
  droppedFields?: DroppedField[];
  /** dataLayer / gtag pushes of the batch that were not e-commerce, by kind. */
  ignored?: Partial<Record<IgnoredKind, number>>;
}

export interface RejectionSummary { total: number; byCode: Partial<Record<RejectCode, number>>; recent: Rejection[] }

export interface StoreStats extends StoreStatus {
  events: number;
  bytes: number;
  counts: Partial<Record<EventType, number>>;
  rejected: RejectionSummary;
  droppedFields: DroppedFieldSummary;
  ignored: IgnoredSummary;
  consentLog: ConsentLogEntry[];
}

export interface StoreDump {
  events: PerchEvent[];
  /**
   * Stable id of each event, parallel to `events` (the IndexedDB key; a counter in memory): what
   * `forgetEvents` deletes by, shown as `eventId` in `exportData()`. Absent from older dumps.
   */
  eventIds?: number[];
  rejected: Rejection[];
  consentLog: ConsentLogEntry[];
  /** Last consent state persisted, used to restore consent on a later visit. */
  consent: ConsentState | null;
}

/** What `forgetEvents` did: the ids deleted and the ids that were not stored. */
export interface ForgetEventsResult { deleted: number[]; missing: number[] }

/**
 * The worker also implements `PerchModelApi` (rerank, intent, model) and `PerchFederatedApi` (federated
 * learning); the main-thread fallback implements neither.
 */
export interface PerchWorkerApi extends Partial<PerchModelApi>, Partial<PerchFederatedApi> {
  /** Opens storage (IndexedDB, else memory) and applies age retention. Safe to call once per worker. */
  open(options: StoreOptions): Promise<StoreStatus>;
  /** Queues a batch; resolves once it is committed (relaxed durability) or held by the memory fallback. */
  write(batch: WriteBatch): Promise<StoreStatus>;
  /** Resolves when every write received so far is committed with strict durability. */
  flush(): Promise<StoreStatus>;
  stats(): Promise<StoreStats>;
  /** The last consent state persisted on this device (a return visit restores it), or null. */
  lastConsent(): Promise<ConsentState | null>;
  dump(): Promise<StoreDump>;
  /** Deletes everything (the whole database) and reopens lazily on the next write. */
  forget(): Promise<void>;
  /** Deletes single stored events by id (`StoreDump.eventIds`); never reopens an erased database. */
  forgetEvents(ids: number[]): Promise<ForgetEventsResult>;
  /** Closes the database; the worker is terminated by the page afterwards. */
  close(): Promise<void>;
}
