/**
 * SQLite implementation of `AggregatorStore` (node:sqlite, or better-sqlite3 on Node 20: sqlite-driver.mjs; one
 * process). WAL journal with synchronous=FULL: a transaction is on disk (fsync'd WAL) before `insertUpdate`
 * resolves, so an upload that was acknowledged survives `kill -9` and power loss. Both drivers are synchronous;
 * the async methods only keep the interface shared with networked stores.
 */
import { openDatabase, type SqliteDatabase, type SqliteStatement } from './sqlite-driver.mjs';
import { Worker } from 'node:worker_threads';
import { secaggSnapshotOf } from './snapshot.js';
import type { Weights } from '@perch/model/spec';
import { SECAGG_SCHEMA, secaggStatements } from './secagg-sql.mjs';
import type {
  SecAggMessageRow, SecAggRoundRow, SecAggSnapshot, SecAggStage, SecAggWrite, SecAggWriteResult,
  AggregatorStore, CloseLease, InsertResult, LogEntry, ModelVersion, NewModelVersion, NewRound, RoundCloseResult, RoundRecord, StoredFile, UpdateRecord,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS versions (version INTEGER PRIMARY KEY, dims TEXT NOT NULL, manifest BLOB NOT NULL, manifest_sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tensors (version INTEGER NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (version, name));
CREATE TABLE IF NOT EXISTS files (sha256 TEXT PRIMARY KEY, content_type TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (
  id INTEGER PRIMARY KEY AUTOINCREMENT, base_version INTEGER NOT NULL, status TEXT NOT NULL,
  opened_at INTEGER NOT NULL, deadline INTEGER NOT NULL, closed_at INTEGER, result_version INTEGER, accepted INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT, lease_until INTEGER);
CREATE TABLE IF NOT EXISTS updates (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, round_id INTEGER NOT NULL, received_at INTEGER NOT NULL,
  weight REAL NOT NULL, norm REAL NOT NULL, fingerprint TEXT NOT NULL, payload BLOB NOT NULL, response TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS updates_round ON updates (round_id, seq);
CREATE INDEX IF NOT EXISTS updates_round_key ON updates (round_id, key);
CREATE TABLE IF NOT EXISTS log (idx INTEGER PRIMARY KEY, version INTEGER NOT NULL UNIQUE, leaf TEXT NOT NULL, head TEXT NOT NULL);
${SECAGG_SCHEMA}`;

interface RoundRow { id: number; base_version: number; status: RoundRecord['status']; opened_at: number; deadline: number; closed_at: number | null; result_version: number | null; accepted: number; lease_owner?: string | null; lease_until?: number | null }
interface UpdateRow { seq: number; key: string; round_id: number; received_at: number; weight: number; norm: number; fingerprint: string; payload: Buffer; response: string }

const toRound = (r: RoundRow): RoundRecord => ({
  id: r.id, baseVersion: r.base_version, status: r.status, openedAt: r.opened_at, deadline: r.deadline,
  closedAt: r.closed_at, resultVersion: r.result_version, accepted: r.accepted,
  ...(r.lease_owner != null ? { lease: { owner: r.lease_owner, until: r.lease_until ?? 0 } } : {}),
});
const toUpdate = (r: UpdateRow): UpdateRecord => ({
  key: r.key, roundId: r.round_id, receivedAt: r.received_at, weight: r.weight, norm: r.norm, fingerprint: r.fingerprint,
  payload: new Uint8Array(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength), response: JSON.parse(r.response) as UpdateRecord['response'],
});
const blob = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Period of the checkpointer thread's PASSIVE checkpoints (ms). */
const CHECKPOINT_MS = 25;
/** Past this WAL size the writer thread checkpoints and truncates it itself (a backstop; see sqlite-writer.mjs). */
const WAL_LIMIT_BYTES = 256 * 1024 * 1024;

/** What the writer thread answers per upload (raw rows; converted here). */
type WriterResult =
  | { kind: 'duplicate'; row: UpdateRow } | { kind: 'not_open'; round?: RoundRow } | { kind: 'full' } | { kind: 'inserted'; accepted: number };

export class SqliteStore implements AggregatorStore {
  /** One process owns the file. */
  readonly shared = false;
  private db!: SqliteDatabase;
  private writer: Worker | null = null;
  private checkpointer: Worker | null = null;
  private writerBatches = new Map<number, (r: { results?: unknown[]; error?: string }) => void>();
  private writerSeq = 0;
  /**
   * @param path database file
   * @param o.writerThread commit uploads from a worker thread (default on; PERCH_AGG_WRITER_THREAD=0 turns it
   *   off). The fsync of a commit then no longer stalls the event loop, at the price of a little CPU per upload
   *   and the thread's memory (A/B runs: docs/experiments/2026-11-23-aggregator-throughput.md). ':memory:'
   *   databases always commit in-thread (a second connection would open another database).
   */
  constructor(private readonly path: string, private readonly o: { writerThread?: boolean } = {}) {}

  async init(): Promise<void> {
    this.db = openDatabase(this.path);
    // 16 kB pages (new databases only): a 100 kB update spans 7 pages instead of 25, which cuts the CPU and
    // I/O of each insert (docs/experiments/2026-11-23-aggregator-throughput.md).
    this.db.pragma('page_size = 16384');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoint the WAL every ~32 MB rather than the 1000-page default: uploads are ~100 kB each.
    this.db.pragma('wal_autocheckpoint = 2048');
    this.db.exec(SCHEMA);
    // Databases made before closing leases: add their columns (SQLite has no ADD COLUMN IF NOT EXISTS).
    const cols = new Set((this.db.prepare('PRAGMA table_info(rounds)').all() as { name: string }[]).map((c) => c.name));
    if (!cols.has('lease_owner')) this.db.exec('ALTER TABLE rounds ADD COLUMN lease_owner TEXT; ALTER TABLE rounds ADD COLUMN lease_until INTEGER;');
    const thread = this.o.writerThread ?? process.env.PERCH_AGG_WRITER_THREAD !== '0';
    if (thread && this.path !== ':memory:' && this.path !== '') {
      // Checkpoints move to their own thread (sqlite-checkpointer.mjs): none on the commit path.
      this.db.pragma('wal_autocheckpoint = 0');
      this.startCheckpointer();
      this.startWriter();
    }
  }

  /** PASSIVE WAL checkpoints every CHECKPOINT_MS on a third connection. If it dies, the writer's WAL limit still holds. */
  private startCheckpointer(): void {
    const w = new Worker(new URL('./sqlite-checkpointer.mjs', import.meta.url), { workerData: { path: this.path, intervalMs: CHECKPOINT_MS } });
    w.on('error', () => { if (this.checkpointer === w) this.checkpointer = null; });
    w.unref();
    this.checkpointer = w;
  }

  /** The upload writer thread (see sqlite-writer.mjs). If it dies, uploads fall back to in-thread commits. */
  private startWriter(): void {
    const w = new Worker(new URL('./sqlite-writer.mjs', import.meta.url), { workerData: { path: this.path, walLimitBytes: WAL_LIMIT_BYTES } });
    w.on('message', (m: { id?: number; results?: unknown[]; error?: string }) => {
      if (m.id === undefined) return;
      const done = this.writerBatches.get(m.id);
      this.writerBatches.delete(m.id);
      done?.(m);
    });
    const lost = (e: unknown): void => {
      if (this.writer !== w) return;
      this.writer = null;
      for (const done of this.writerBatches.values()) done({ error: `writer thread: ${String((e as Error)?.message ?? e)}` });
      this.writerBatches.clear();
    };
    w.on('error', lost);
    w.on('exit', (code) => lost(`exited with ${code}`));
    w.unref();
    this.writer = w;
  }

  async close(): Promise<void> {
    // Let every queued upload commit first: each one was promised an answer.
    while (this.pending.length > 0 || this.flushing) await new Promise((r) => setTimeout(r, 5));
    const w = this.writer;
    this.writer = null;
    if (w) await w.terminate();
    const c = this.checkpointer;
    this.checkpointer = null;
    if (c) await c.terminate();
    if (this.db?.open) this.db.close();
  }

  private versionRow(sql: string, ...args: unknown[]): ModelVersion | undefined {
    const r = this.db.prepare(sql).get(...args) as { version: number; dims: string; manifest: Buffer; manifest_sha256: string } | undefined;
    if (!r) return undefined;
    const manifestBytes = new Uint8Array(r.manifest);
    return { version: r.version, dims: JSON.parse(r.dims), manifest: JSON.parse(Buffer.from(manifestBytes).toString('utf8')), manifestSha256: r.manifest_sha256, manifestBytes };
  }

  async latestVersion(): Promise<ModelVersion | undefined> { return this.versionRow('SELECT * FROM versions ORDER BY version DESC LIMIT 1'); }
  async getVersion(version: number): Promise<ModelVersion | undefined> { return this.versionRow('SELECT * FROM versions WHERE version = ?', version); }

  async getWeights(version: number, names?: readonly string[]): Promise<Weights> {
    const rows = this.db.prepare('SELECT name, data FROM tensors WHERE version = ?').all(version) as { name: string; data: Buffer }[];
    const out: Weights = {};
    for (const r of rows) {
      if (names && !names.includes(r.name)) continue;
      // Copy into an aligned buffer: SQLite blobs can start at any offset.
      out[r.name] = new Float32Array(new Uint8Array(r.data).buffer);
    }
    return out;
  }

  async getFile(sha256: string): Promise<StoredFile | undefined> {
    const r = this.db.prepare('SELECT sha256, content_type, data FROM files WHERE sha256 = ?').get(sha256) as { sha256: string; content_type: string; data: Buffer } | undefined;
    return r && { sha256: r.sha256, contentType: r.content_type, data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength) };
  }

  private insertVersion(v: NewModelVersion): void {
    this.db.prepare('INSERT INTO versions (version, dims, manifest, manifest_sha256) VALUES (?, ?, ?, ?)').run(v.version, JSON.stringify(v.dims), blob(v.manifestBytes), v.manifestSha256);
    const t = this.db.prepare('INSERT INTO tensors (version, name, data) VALUES (?, ?, ?)');
    for (const [name, data] of Object.entries(v.weights)) t.run(v.version, name, blob(data));
    const f = this.db.prepare('INSERT OR IGNORE INTO files (sha256, content_type, data) VALUES (?, ?, ?)');
    for (const file of v.files) f.run(file.sha256, file.contentType, blob(file.data));
    if (!v.log) return;
    // Append-only: the entry must follow the current head (a stale close fails here and is retried).
    const head = this.db.prepare('SELECT idx, head FROM log ORDER BY idx DESC LIMIT 1').get() as { idx: number; head: string } | undefined;
    if (v.log.index !== (head?.idx ?? -1) + 1 || (head && v.manifest.log?.prev !== head.head)) throw new Error(`log entry ${v.log.index} does not follow the log's head ${head?.idx}`);
    this.db.prepare('INSERT INTO log (idx, version, leaf, head) VALUES (?, ?, ?, ?)').run(v.log.index, v.version, v.log.leaf, v.log.head);
  }

  async logHead(): Promise<LogEntry | undefined> {
    const r = this.db.prepare('SELECT idx, leaf, head FROM log ORDER BY idx DESC LIMIT 1').get() as { idx: number; leaf: string; head: string } | undefined;
    return r && { index: r.idx, leaf: r.leaf, head: r.head };
  }

  async logLeaves(from: number, to: number): Promise<string[]> {
    return (this.db.prepare('SELECT leaf FROM log WHERE idx >= ? AND idx < ? ORDER BY idx').all(from, to) as { leaf: string }[]).map((r) => r.leaf);
  }

  async seed(v: NewModelVersion): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM versions LIMIT 1').get()) return false;
      this.insertVersion(v);
      return true;
    }).immediate();
  }

  async currentRound(): Promise<RoundRecord | undefined> {
    const r = this.db.prepare("SELECT * FROM rounds WHERE status IN ('open', 'closing') ORDER BY id DESC LIMIT 1").get() as RoundRow | undefined;
    return r && toRound(r);
  }

  async getRound(id: number): Promise<RoundRecord | undefined> {
    const r = this.stmt('SELECT * FROM rounds WHERE id = ?').get(id) as RoundRow | undefined;
    return r && toRound(r);
  }

  private openRoundTx(r: NewRound): RoundRecord {
    const cur = this.db.prepare("SELECT * FROM rounds WHERE status IN ('open', 'closing') ORDER BY id DESC LIMIT 1").get() as RoundRow | undefined;
    if (cur) return toRound(cur);
    const id = Number(this.db.prepare("INSERT INTO rounds (base_version, status, opened_at, deadline) VALUES (?, 'open', ?, ?)").run(r.baseVersion, r.openedAt, r.deadline).lastInsertRowid);
    return toRound(this.db.prepare('SELECT * FROM rounds WHERE id = ?').get(id) as RoundRow);
  }

  async openRound(r: NewRound): Promise<RoundRecord> { return this.db.transaction(() => this.openRoundTx(r)).immediate(); }

  async findUpdate(key: string): Promise<UpdateRecord | undefined> {
    const r = this.stmt('SELECT * FROM updates WHERE key = ?').get(key) as UpdateRow | undefined;
    return r && toUpdate(r);
  }

  /**
   * Group commit: uploads that arrive in the same event-loop turn are inserted in one transaction, so one
   * fsync acknowledges many of them (an fsync costs milliseconds; per-upload commits would cap throughput
   * at a few hundred per second). Every promise still resolves only after its transaction is durable.
   */
  insertUpdate(u: UpdateRecord, maxUpdates: number): Promise<InsertResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ u, maxUpdates, resolve, reject });
      if (!this.flushScheduled) { this.flushScheduled = true; setImmediate(() => this.flush()); }
    });
  }

  private pending: { u: UpdateRecord; maxUpdates: number; resolve: (r: InsertResult) => void; reject: (e: unknown) => void }[] = [];
  private flushScheduled = false;
  /** A batch is being committed by the writer thread; the next one collects meanwhile (group commit). */
  private flushing = false;

  private flush(): void {
    this.flushScheduled = false;
    if (this.flushing) return;
    const batch = this.pending.splice(0, 512);
    if (batch.length === 0) return;
    const next = (): void => {
      if (this.pending.length > 0 && !this.flushScheduled) { this.flushScheduled = true; setImmediate(() => this.flush()); }
    };
    if (!this.writer) {
      try {
        const results = this.db.transaction(() => batch.map((b) => this.insertOne(b.u, b.maxUpdates))).immediate();
        batch.forEach((b, i) => b.resolve(results[i]!));
      } catch (err) {
        batch.forEach((b) => b.reject(err));
      }
      return next();
    }
    this.flushing = true;
    const id = ++this.writerSeq;
    this.writerBatches.set(id, (m) => {
      this.flushing = false;
      if (m.error !== undefined || !m.results) batch.forEach((b) => b.reject(new Error(m.error ?? 'writer thread: no result')));
      else batch.forEach((b, i) => b.resolve(this.fromWriter(m.results![i] as WriterResult)));
      next();
    });
    this.writer.postMessage({
      id,
      batch: batch.map((b) => ({
        maxUpdates: b.maxUpdates,
        u: { key: b.u.key, roundId: b.u.roundId, receivedAt: b.u.receivedAt, weight: b.u.weight, norm: b.u.norm,
          fingerprint: b.u.fingerprint, payload: b.u.payload.slice(), response: JSON.stringify(b.u.response) },
      })),
    });
  }

  private fromWriter(r: WriterResult): InsertResult {
    switch (r.kind) {
      case 'duplicate': return { kind: 'duplicate', existing: toUpdate({ ...r.row, payload: Buffer.from(r.row.payload as unknown as Uint8Array) }) };
      case 'not_open': return { kind: 'not_open', round: r.round && toRound(r.round) };
      default: return r;
    }
  }

  private insertOne(u: UpdateRecord, maxUpdates: number): InsertResult {
    const dup = this.stmt('SELECT * FROM updates WHERE key = ?').get(u.key) as UpdateRow | undefined;
    if (dup) return { kind: 'duplicate', existing: toUpdate(dup) };
    const round = this.stmt('SELECT * FROM rounds WHERE id = ?').get(u.roundId) as RoundRow | undefined;
    if (!round || round.status !== 'open') return { kind: 'not_open', round: round && toRound(round) };
    if (round.accepted >= maxUpdates) return { kind: 'full' };
    this.stmt('INSERT INTO updates (key, round_id, received_at, weight, norm, fingerprint, payload, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(u.key, u.roundId, u.receivedAt, u.weight, u.norm, u.fingerprint, blob(u.payload), JSON.stringify(u.response));
    this.stmt('UPDATE rounds SET accepted = accepted + 1 WHERE id = ?').run(u.roundId);
    return { kind: 'inserted', accepted: round.accepted + 1 };
  }

  private readonly cache = new Map<string, SqliteStatement>();
  private stmt(sql: string): SqliteStatement {
    let s = this.cache.get(sql);
    if (!s) { s = this.db.prepare(sql); this.cache.set(sql, s); }
    return s;
  }

  async *iterateUpdates(roundId: number, pageSize = 64): AsyncIterable<UpdateRecord> {
    // Pages by key instead of one long-lived cursor: a better-sqlite3 connection cannot run other statements
    // while an iterator is open, and requests keep arriving between pages. Key order is the Postgres store's
    // too, so an aggregate does not depend on the order the uploads were committed in.
    let after = '';
    const page = this.db.prepare('SELECT * FROM updates WHERE round_id = ? AND key > ? ORDER BY key LIMIT ?');
    for (;;) {
      const rows = page.all(roundId, after, pageSize) as UpdateRow[];
      for (const r of rows) yield toUpdate(r);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.key;
      // Let queued requests run between pages: aggregation is CPU work on the event loop.
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Leases on the process's clock: one process owns an SQLite file, so they matter only across its restarts. */
  async beginClose(roundId: number, lease: CloseLease): Promise<boolean> {
    const now = Date.now();
    return this.db.prepare(`UPDATE rounds SET status = 'closing', lease_owner = ?, lease_until = ?
      WHERE id = ? AND (status = 'open' OR (status = 'closing' AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)))`)
      .run(lease.owner, now + lease.ms, roundId, lease.owner, now).changes === 1;
  }

  async renewLease(roundId: number, lease: CloseLease): Promise<boolean> {
    return this.db.prepare("UPDATE rounds SET lease_until = ? WHERE id = ? AND status = 'closing' AND lease_owner = ?").run(Date.now() + lease.ms, roundId, lease.owner).changes === 1;
  }

  async leaseExpired(roundId: number): Promise<boolean> {
    const r = this.db.prepare("SELECT lease_owner, lease_until FROM rounds WHERE id = ? AND status = 'closing'").get(roundId) as { lease_owner: string | null; lease_until: number | null } | undefined;
    return r !== undefined && (r.lease_owner === null || (r.lease_until ?? 0) <= Date.now());
  }

  async commitClose(res: RoundCloseResult): Promise<RoundRecord> {
    return this.db.transaction(() => {
      const cur = this.db.prepare('SELECT * FROM rounds WHERE id = ?').get(res.roundId) as RoundRow | undefined;
      if (!cur || cur.status !== 'closing') throw new Error(`commitClose: round ${res.roundId} is not closing`);
      if (res.owner !== undefined && cur.lease_owner != null && cur.lease_owner !== res.owner) throw new Error(`commitClose: round ${res.roundId} is closed by ${cur.lease_owner} now (lease lost)`);
      if (res.version) this.insertVersion(res.version);
      this.db.prepare('UPDATE rounds SET status = ?, closed_at = ?, result_version = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?')
        .run(res.status, res.closedAt, res.version?.version ?? null, res.roundId);
      // Minimisation: once aggregated, individual deltas are dropped; key, fingerprint and answer stay for
      // idempotent retries.
      this.db.prepare("UPDATE updates SET payload = x'' WHERE round_id = ?").run(res.roundId);
      // Secure aggregation: the masked vectors and every share go with the round; fingerprints stay for replays.
      this.secagg().minimise.run(res.roundId);
      this.secagg().minimiseShares.run(res.roundId);
      this.secagg().minimiseUnmask.run(res.roundId);
      this.secagg().finish.run(res.status === 'published' ? 'done' : 'failed', res.reason ?? null, res.roundId);
      return this.openRoundTx(res.next);
    }).immediate();
  }

  private secaggStmts: ReturnType<typeof secaggStatements> | undefined;
  private secagg(): ReturnType<typeof secaggStatements> { return (this.secaggStmts ??= secaggStatements(this.db)); }

  async secaggRound(roundId: number): Promise<SecAggRoundRow | undefined> {
    return this.secagg().round.get(roundId) as SecAggRoundRow | undefined;
  }

  async createSecAggRound(roundId: number, params: string, secret: Uint8Array, deadline: number): Promise<SecAggRoundRow> {
    return this.db.transaction(() => {
      this.secagg().create.run(roundId, params, blob(secret), deadline);
      return this.secagg().round.get(roundId) as SecAggRoundRow;
    }).immediate();
  }

  async secaggAdvance(roundId: number, from: SecAggStage, to: SecAggStage, deadline: number, set: { participants?: string[]; k?: number; t?: number; cohort?: string[]; survivors?: string[]; reason?: string }): Promise<boolean> {
    return this.db.transaction(() => {
      const cur = this.secagg().round.get(roundId) as SecAggRoundRow | undefined;
      if (!cur || cur.stage !== from) return false;
      this.secagg().advance.run(to, deadline, set.participants ? JSON.stringify(set.participants) : cur.participants, set.k ?? cur.k, set.t ?? cur.t,
        set.cohort ? JSON.stringify(set.cohort) : cur.cohort, set.survivors ? JSON.stringify(set.survivors) : cur.survivors, set.reason ?? cur.reason, roundId);
      return true;
    }).immediate();
  }

  /**
   * Stores one accepted device message, durably, before the device is answered: in the writer thread when it
   * runs. The insert checks in the same transaction that the round is still at the message's stage, so nothing
   * is stored for a stage once its close is committed.
   */
  secaggWrite(w: SecAggWrite): Promise<SecAggWriteResult> {
    const msg = { ...w, ...(w.y ? { y: w.y.slice() } : {}) };
    if (!this.writer) return Promise.resolve(this.db.transaction(() => this.secagg().write(msg)).immediate() as SecAggWriteResult);
    return new Promise((resolve, reject) => {
      const id = ++this.writerSeq;
      this.writerBatches.set(id, (m) => (m.error !== undefined || !m.results ? reject(new Error(m.error ?? 'writer thread: no result')) : resolve(m.results[0] as SecAggWriteResult)));
      this.writer!.postMessage({ id, secagg: msg });
    });
  }

  async secaggMessages(roundId: number, kind: 'devices' | 'shares' | 'masked' | 'unmask'): Promise<SecAggMessageRow[]> {
    return this.secagg().list[kind].all(roundId) as SecAggMessageRow[];
  }

  async secaggCounts(roundId: number): Promise<Record<SecAggWrite['kind'], number>> {
    const n = (k: SecAggWrite['kind']): number => (this.db.prepare(`SELECT count(*) AS n FROM secagg_${k} WHERE round_id = ?`).get(roundId) as { n: number }).n;
    return { devices: n('devices'), shares: n('shares'), masked: n('masked'), unmask: n('unmask') };
  }

  secaggSnapshot(roundId: number): Promise<SecAggSnapshot | undefined> { return secaggSnapshotOf(this, roundId); }
}
