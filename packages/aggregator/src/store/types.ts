/**
 * Storage interface of the aggregator. Every method is async and each one is a single atomic operation on
 * the shared state, so a second implementation on Postgres or Redis (several aggregator instances behind a
 * load balancer, see docs/aggregator.md) implements the same methods with its own transactions and leases;
 * nothing above this interface changes. The SQLite implementation is `store/sqlite.ts`.
 */
import type { ModelDims, Weights } from '@perch/model/spec';
import type { LogPoint, Manifest } from '@perch/model/export';

/** The model manifest is the export format of `@perch/model/export` (manifest.json), unchanged. */
export type { Manifest };

export interface StoredFile { sha256: string; contentType: string; data: Uint8Array }

export interface ModelVersion {
  /** Monotonic version (1 = seed); the manifest's `modelVersion` is its decimal string. */
  version: number;
  dims: ModelDims;
  manifest: Manifest;
  /** sha256 (hex) of the manifest bytes, used as its ETag. */
  manifestSha256: string;
  manifestBytes: Uint8Array;
}

export interface NewModelVersion extends ModelVersion {
  weights: Weights;
  files: StoredFile[];
  /** Its entry in the version log (the manifest carries the same index and head, signed). */
  log?: LogEntry;
}

/** One entry of the append-only version log (`@perch/model/export/log.ts`). */
export interface LogEntry extends LogPoint { leaf: string }

export type RoundStatus = 'open' | 'closing' | 'published' | 'failed';

export interface RoundRecord {
  id: number;
  baseVersion: number;
  status: RoundStatus;
  /** Server clock, ms since epoch. */
  openedAt: number;
  deadline: number;
  closedAt: number | null;
  /** Version published by this round, if any. */
  resultVersion: number | null;
  accepted: number;
  /** While closing: the instance closing it and until when (the store's clock, ms), unless the lease was released. */
  lease?: { owner: string; until: number };
}

/** A closing lease: `owner` names the aggregator instance, `ms` how long the lease lasts unless renewed. */
export interface CloseLease { owner: string; ms: number }

export interface NewRound { baseVersion: number; openedAt: number; deadline: number }

export interface UpdateRecord {
  key: string;
  roundId: number;
  /** Server receipt time (the client sends no clock). */
  receivedAt: number;
  weight: number;
  /** L2 norm of the dequantised delta, as received. */
  norm: number;
  /** sha256 of the request payload: a reused key with other bytes is refused. */
  fingerprint: string;
  /** The raw wire payload. */
  payload: Uint8Array;
  /** The exact 2xx answer given, replayed for duplicates. */
  response: { status: number; body: unknown };
}

export type InsertResult =
  | { kind: 'inserted'; accepted: number }
  | { kind: 'duplicate'; existing: UpdateRecord }
  | { kind: 'not_open'; round: RoundRecord | undefined }
  | { kind: 'full' };

/**
 * `reason`: why a secure-aggregation round failed (stored with it). `owner`: the instance that holds the closing
 * lease; the commit is refused when another instance holds it now.
 */
export interface RoundCloseResult { roundId: number; status: 'published' | 'failed'; version?: NewModelVersion; closedAt: number; next: NewRound; reason?: string; owner?: string }

/** Stages of a secure-aggregation round (the library's steps), then its end. */
export type SecAggStage = 'advertise-keys' | 'share-keys' | 'masked-input' | 'unmasking' | 'done' | 'failed';

export interface SecAggRoundRow {
  round_id: number; params: string; secret: Buffer; stage: SecAggStage; deadline: number;
  participants: string | null; k: number | null; t: number | null; cohort: string | null; survivors: string | null; reason: string | null;
}

/** One accepted device message: body is JSON (keys, shares), y the packed masked vector (masked input only). */
export interface SecAggMessageRow { device_id: string; body: string; y: Buffer | null; fingerprint: string; received_at: number }

export interface SecAggWrite {
  kind: 'devices' | 'shares' | 'masked' | 'unmask';
  roundId: number; deviceId: string; body: string; y?: Uint8Array; fingerprint: string; receivedAt: number;
}
export type SecAggWriteResult = { kind: 'inserted' } | { kind: 'duplicate'; fingerprint: string } | { kind: 'closed'; stage: SecAggStage | null };

export interface SecAggSnapshot { round: SecAggRoundRow; devices: SecAggMessageRow[]; shares: SecAggMessageRow[]; masked: SecAggMessageRow[]; unmask: SecAggMessageRow[] }

export interface AggregatorStore {
  /** Whether several aggregator instances may share this store (they then watch it for each other's writes). */
  readonly shared: boolean;
  /** Creates tables, applies durability settings. */
  init(): Promise<void>;
  close(): Promise<void>;

  latestVersion(): Promise<ModelVersion | undefined>;
  getVersion(version: number): Promise<ModelVersion | undefined>;
  getWeights(version: number, names?: readonly string[]): Promise<Weights>;
  getFile(sha256: string): Promise<StoredFile | undefined>;
  /** Stores the seed model (version 1) if the store holds no model yet. Returns true if stored. */
  seed(version: NewModelVersion): Promise<boolean>;
  /** The newest entry of the version log; undefined while it is empty. A version's entry is stored with it. */
  logHead(): Promise<LogEntry | undefined>;
  /** Leaf hashes of log entries [from, to), in index order (fewer when the log ends first). */
  logLeaves(from: number, to: number): Promise<string[]>;

  currentRound(): Promise<RoundRecord | undefined>;
  getRound(id: number): Promise<RoundRecord | undefined>;
  /** Opens a round if none is open or closing; returns the current round either way. */
  openRound(r: NewRound): Promise<RoundRecord>;

  findUpdate(key: string): Promise<UpdateRecord | undefined>;
  /**
   * Atomically: if `key` exists → duplicate; else if the round is not open → not_open; else if the round
   * holds `maxUpdates` already → full; else insert and return the new count. Durable before it resolves.
   */
  insertUpdate(u: UpdateRecord, maxUpdates: number): Promise<InsertResult>;
  /** Pages through a round's updates in key order (bounded memory; the same order whichever instance stored them). */
  iterateUpdates(roundId: number, pageSize?: number): AsyncIterable<UpdateRecord>;

  /**
   * Takes the closing lease, atomically: open → closing, or a closing round whose lease expired (its closer died)
   * or is already the caller's; false otherwise (another instance is closing it).
   */
  beginClose(roundId: number, lease: CloseLease): Promise<boolean>;
  /** Extends the caller's lease; false if the round is no longer closing under it. */
  renewLease(roundId: number, lease: CloseLease): Promise<boolean>;
  /** Whether round `roundId` is closing under a lease that has expired (or none): another instance may take it over. */
  leaseExpired(roundId: number): Promise<boolean>;
  /**
   * Atomically: store the new version (if published) and its log entry, mark the round closed, open the next
   * round; for a secure-aggregation round also mark it done or failed and drop its masked vectors and shares.
   */
  commitClose(result: RoundCloseResult): Promise<RoundRecord>;

  // Secure aggregation (docs/secure-aggregation.md).
  secaggRound(roundId: number): Promise<SecAggRoundRow | undefined>;
  /** Creates the round's row if absent (at stage advertise-keys); returns the row either way. */
  createSecAggRound(roundId: number, params: string, secret: Uint8Array, deadline: number): Promise<SecAggRoundRow>;
  /** from → to (with its deadline) and the sets fixed at that close, atomically; false if the round was not at `from`. */
  secaggAdvance(roundId: number, from: SecAggStage, to: SecAggStage, deadline: number, set: { participants?: string[]; k?: number; t?: number; cohort?: string[]; survivors?: string[]; reason?: string }): Promise<boolean>;
  /** One accepted message, durable before it resolves; `closed` if the round left the message's stage. */
  secaggWrite(w: SecAggWrite): Promise<SecAggWriteResult>;
  secaggMessages(roundId: number, kind: SecAggWrite['kind']): Promise<SecAggMessageRow[]>;
  /** How many messages of each kind the round holds (cheap: instances compare it with what they loaded). */
  secaggCounts(roundId: number): Promise<Record<SecAggWrite['kind'], number>>;
  secaggSnapshot(roundId: number): Promise<SecAggSnapshot | undefined>;
}
