/**
 * A shop's behaviour history from its analytics export: GA4's BigQuery export or a Segment / RudderStack
 * warehouse, as newline-delimited JSON, Parquet or CSV files (a path, a glob of daily tables, a directory,
 * several paths, or a URL DuckDB can read), read with DuckDB into sessions of (item, kind, time) steps.
 *
 * Event names are mapped exactly as the SDK maps them (`resolveEventName`, `GA4_EVENT_KINDS`); items are read
 * with the SDK's field tables (`ID_KEYS`, `CATEGORY_KEYS`, `BRAND_KEYS`); at most `MAX_ITEMS_PER_EVENT` items
 * per event, as the on-device worker reads. Everything skipped or repaired is counted in the report with
 * examples naming the file and line (JSON, CSV rejects) or row (Parquet, CSV). Formats in ga4.ts and segment.ts;
 * the shared steps (classification, duplicates, sessions) in pipeline.ts; times in time.ts.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { IngestReport, SourceError } from '../report.js';
import { Db, lit } from './db.js';
import { ga4Plan } from './ga4.js';
import { runPipeline, type EventLogData } from './pipeline.js';
import { segmentPlan } from './segment.js';
import { detectFormat, isUrl, resolveFiles, type SourceFile } from './sources.js';

export interface ReadEventsOptions {
  /** 'ga4' | 'segment' | 'auto' (default: detect from the columns/fields present) */
  format?: 'ga4' | 'segment' | 'auto';
  /** inactivity gap that closes a session where the export has no session id (default 30 min) */
  sessionGapSeconds?: number;
  /**
   * progress callback (rows read so far, total if known) for a progress bar. The total is exact for Parquet
   * (its metadata) and estimated from file sizes for JSON and CSV; the last call gives the rows read.
   */
  onProgress?: (done: number, total?: number) => void;
  /** DuckDB memory limit, e.g. '1GB' (default keeps peak RSS well under 2 GB) and threads */
  memoryLimit?: string;
  threads?: number;
  /** "Now" for the check of times in the future (default: the time of reading). */
  now?: Date;
}

export interface EventLog extends EventLogData {
  source: string;
  format: 'ga4' | 'segment';
  report: IngestReport;
}

/** Default inactivity gap that closes a session (GA4's own default session timeout). */
export const DEFAULT_SESSION_GAP_S = 30 * 60;

/** Rows in the files: exact for Parquet, estimated from the first MB for text. */
async function estimateRows(db: Db, files: SourceFile[]): Promise<number | undefined> {
  let rows = 0;
  for (const f of files) {
    if (f.format === 'parquet') {
      rows += await db.number(`SELECT sum(num_rows) FROM parquet_file_metadata(${lit(f.path)})`);
    } else if (f.bytes > 0 && !/\.(gz|gzip|zst|zstd)$/i.test(f.path)) {
      const buf = Buffer.alloc(Math.min(f.bytes, 1 << 20));
      const fd = openSync(f.path, 'r');
      try {
        readSync(fd, buf, 0, buf.length, 0);
      } finally {
        closeSync(fd);
      }
      let lines = 0;
      for (const b of buf) if (b === 10) lines++;
      rows += Math.round((f.bytes * Math.max(1, lines)) / buf.length);
    } else return undefined;
  }
  return rows;
}

/** Reads an analytics export into sessions. Throws only when the source cannot be read at all. */
export async function readEvents(source: string | string[], opts: ReadEventsOptions = {}): Promise<EventLog> {
  const gap = opts.sessionGapSeconds ?? DEFAULT_SESSION_GAP_S;
  if (!(gap >= 0) || !Number.isFinite(gap)) throw new SourceError(`sessionGapSeconds must be a finite number ≥ 0, got ${gap}`);
  const remote = (Array.isArray(source) ? source : [source]).some(isUrl);
  const db = await Db.open({ remote, ...(opts.memoryLimit !== undefined ? { memoryLimit: opts.memoryLimit } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  try {
    const files = await resolveFiles(db, source);
    const format = !opts.format || opts.format === 'auto' ? await detectFormat(db, files) : opts.format;
    const plan = format === 'ga4' ? await ga4Plan(db, files) : await segmentPlan(db, files);
    const report = new IngestReport();
    report.count('files', files.length);
    const totalRows = opts.onProgress ? await estimateRows(db, files) : undefined;
    const data = await runPipeline(db, plan, {
      sessionGapSeconds: gap,
      now: (opts.now ?? new Date()).getTime() / 1000,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(totalRows !== undefined ? { totalRows } : {}),
    }, report);
    return { source: Array.isArray(source) ? source.join(', ') : source, format, ...data, report };
  } finally {
    db.close();
  }
}
