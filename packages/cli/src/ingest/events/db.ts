/**
 * The DuckDB side of the export reader: one in-memory instance per read, with a memory limit that keeps the
 * process's peak RSS bounded (DuckDB spills joins, sorts and temporary tables past it to a private temporary
 * directory), UTC as the session time zone, and helpers to run SQL with progress and to pull integer and
 * float columns into typed arrays chunk by chunk (no per-row JS objects).
 */
import { SourceError } from '../report.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

/** Memory DuckDB may use unless told otherwise: with the JS arrays this keeps the process well under 2 GB. */
export const DEFAULT_MEMORY_LIMIT = '1GB';

/** A string as an SQL literal. */
export const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
/** A name as an SQL identifier. */
export const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export interface DbOptions {
  memoryLimit?: string;
  threads?: number;
  /**
   * Let DuckDB install and load its extensions on first use (httpfs for http(s):// and s3:// sources, which
   * DuckDB downloads from its extension repository). Off unless the source names a URL: local files never
   * reach the network.
   */
  remote?: boolean;
}

export class Db {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly con: DuckDBConnection,
    private readonly tempDir: string,
  ) {}

  static async open(opts: DbOptions = {}): Promise<Db> {
    const tempDir = mkdtempSync(join(tmpdir(), 'perch-events-'));
    const config: Record<string, string> = {
      memory_limit: opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      temp_directory: tempDir,
      // Order is asked for where it matters (ORDER BY); elsewhere DuckDB may stream in any order, which
      // lowers memory use of large scans and inserts.
      preserve_insertion_order: 'false',
      autoinstall_known_extensions: opts.remote ? 'true' : 'false',
      autoload_known_extensions: opts.remote ? 'true' : 'false',
    };
    if (opts.threads !== undefined) config.threads = String(opts.threads);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(':memory:', config);
    } catch (e) {
      rmSync(tempDir, { recursive: true, force: true });
      throw new SourceError(`cannot start DuckDB (memoryLimit ${config.memory_limit}, threads ${config.threads ?? 'default'}): ${(e as Error).message}`);
    }
    const con = await instance.connect();
    // Strings without a zone are UTC; DuckDB tracks query progress (read by `run`) without printing it.
    await con.run("SET TimeZone = 'UTC'; SET enable_progress_bar = true; SET enable_progress_bar_print = false; SET progress_bar_time = 0");
    return new Db(instance, con, tempDir);
  }

  /** Runs statements; while they run, `progress` is told DuckDB's estimate (0..1) a few times a second. */
  async run(sql: string, progress?: (fraction: number) => void): Promise<void> {
    if (!progress) {
      await this.con.run(sql);
      return;
    }
    const timer = setInterval(() => {
      const p = this.con.progress;
      if (p.percentage >= 0) progress(Math.min(1, p.percentage / 100));
    }, 250);
    try {
      await this.con.run(sql);
    } finally {
      clearInterval(timer);
    }
  }

  /** All rows of a (small) result as objects with JSON-friendly values (BIGINT as string). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const r = await this.con.runAndReadAll(sql);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  }

  /** One number from a query (`SELECT count(*) …`). */
  async number(sql: string): Promise<number> {
    const r = await this.con.runAndReadAll(sql);
    const v = r.getRows()[0]?.[0];
    return v === null || v === undefined ? 0 : Number(v as DuckDBValue as number | bigint);
  }

  /**
   * Streams a result whose columns are all numeric and never NULL into typed arrays, one per column, sized
   * beforehand; calls `onRows` after every chunk. Returns the number of rows read.
   */
  async fill(sql: string, targets: (Int32Array | Uint8Array | Float64Array)[], onRows?: (done: number) => void): Promise<number> {
    const result = await this.con.stream(sql);
    let at = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const n = chunk.rowCount;
      for (let c = 0; c < targets.length; c++) {
        const vec = chunk.getColumnVector(c);
        const out = targets[c]!;
        for (let i = 0; i < n; i++) out[at + i] = Number(vec.getItem(i) as number);
      }
      at += n;
      onRows?.(at);
    }
    return at;
  }

  /** The first `columns` columns of a result as strings (NULL as ''), in order: the per-item and per-session tables. */
  async strings(sql: string, columns: number): Promise<string[][]> {
    const result = await this.con.stream(sql);
    const out: string[][] = Array.from({ length: columns }, () => []);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (let c = 0; c < columns; c++) {
        const vec = chunk.getColumnVector(c);
        const col = out[c]!;
        for (let i = 0; i < chunk.rowCount; i++) {
          const v = vec.getItem(i);
          col.push(v === null ? '' : String(v));
        }
      }
    }
    return out;
  }

  close(): void {
    try {
      this.con.closeSync();
    } catch { /* already closed */ }
    try {
      this.instance.closeSync();
    } catch { /* already closed */ }
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}
