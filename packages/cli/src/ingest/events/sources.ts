/**
 * What `source` names: files, globs of daily tables, directories, or URLs, each with its file format, and which
 * export the files are (GA4 or a Segment / RudderStack warehouse) when not told.
 */
import { SourceError } from '../report.js';
import { existsSync, readdirSync, readSync, openSync, closeSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Db } from './db.js';
import { lit } from './db.js';

export type FileFormat = 'json' | 'parquet' | 'csv';

export interface SourceFile {
  /** As given or as the glob found it: the name used in examples. */
  path: string;
  format: FileFormat;
  /** Table name for warehouse dumps: the file's name without extensions (`product_viewed`, `tracks`). */
  table: string;
  /** Bytes on disk (0 for URLs). */
  bytes: number;
  /** CSV: physical lines the reader rejected, sorted (so that a row's number can be turned into its line). */
  rejectedLines?: number[];
}

export const isUrl = (p: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(p);
const hasGlob = (p: string): boolean => /[*?[]/.test(p);
const COMPRESSED = /\.(gz|gzip|zst|zstd)$/i;

/** A file's format from its extension. */
function formatByName(path: string): FileFormat | undefined {
  const name = path.replace(COMPRESSED, '').toLowerCase();
  if (/\.(json|jsonl|ndjson)$/.test(name)) return 'json';
  if (/\.(parquet|pq)$/.test(name)) return 'parquet';
  if (/\.(csv|tsv)$/.test(name)) return 'csv';
  return undefined;
}

/** A file's format from its name, or (a local file named explicitly, without a known extension) its first bytes. */
export function formatOf(path: string): FileFormat | undefined {
  const byName = formatByName(path);
  if (byName) return byName;
  if (isUrl(path) || !existsSync(path) || COMPRESSED.test(path)) return undefined;
  const buf = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (buf.toString('latin1') === 'PAR1') return 'parquet';
  const c = buf.toString('utf8').trimStart()[0];
  return c === '{' ? 'json' : 'csv';
}

const tableOf = (path: string): string => basename(path).replace(COMPRESSED, '').replace(/\.[^.]*$/, '').toLowerCase();

/**
 * Expands `source` into files, sorted by path within each entry (so that file order, and with it the stable
 * order of events with equal times, does not depend on the file system). Throws on a path that names nothing.
 */
export async function resolveFiles(db: Db, source: string | string[]): Promise<SourceFile[]> {
  const entries = Array.isArray(source) ? source : [source];
  if (entries.length === 0) throw new SourceError('no events source given');
  const paths: string[] = [];
  for (const e of entries) {
    if (isUrl(e) && !hasGlob(e)) paths.push(e);
    else if (hasGlob(e)) {
      const found = (await db.rows(`SELECT file FROM glob(${lit(e)}) ORDER BY file`)).map((r) => String(r.file));
      if (found.length === 0) throw new SourceError(`no file matches ${e}`);
      paths.push(...found);
    } else if (!existsSync(e)) throw new SourceError(`no such file or directory: ${e}`);
    else if (statSync(e).isDirectory()) {
      // In a directory, only the files whose names say they are data (a README or a schema file is not read).
      const inDir = readdirSync(e).filter((f) => !f.startsWith('.') && formatByName(f) !== undefined && statSync(join(e, f)).isFile()).sort();
      if (inDir.length === 0) throw new SourceError(`directory ${e} holds no .json, .parquet or .csv file`);
      paths.push(...inDir.map((f) => join(e, f)));
    } else paths.push(e);
  }
  return paths.map((path) => {
    const format = formatOf(path);
    if (!format) throw new SourceError(`cannot tell the format of ${path}: name it .json/.jsonl/.ndjson (newline-delimited JSON), .parquet or .csv (optionally .gz)`);
    return { path, format, table: tableOf(path), bytes: isUrl(path) ? 0 : statSync(path).size };
  });
}

/** DuckDB's reader of one line per row, untouched (newline-delimited JSON is parsed in SQL from these). */
export function linesScan(path: string): string {
  return `read_csv(${lit(path)}, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, delim = E'\\x01', quote = '', escape = '', max_line_size = 8388608, compression = 'auto', ignore_errors = true, store_rejects = false)`;
}

/** The keys of the first JSON object in a newline-delimited file (to tell GA4 from Segment). */
async function jsonKeys(db: Db, path: string): Promise<string[]> {
  const rows = await db.rows(`SELECT line FROM ${linesScan(path)} WHERE CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END LIMIT 1`);
  const line = rows[0]?.line;
  if (typeof line !== 'string') return [];
  return Object.keys(JSON.parse(line) as object).map((k) => k.toLowerCase());
}

/** Column names of a file as DuckDB reads it (lower-cased). */
export async function columnsOf(db: Db, f: SourceFile): Promise<{ name: string; type: string }[]> {
  const scan = f.format === 'parquet' ? `read_parquet(${lit(f.path)})` : `read_csv(${lit(f.path)}, all_varchar = true, header = true, ignore_errors = true)`;
  try {
    if (f.format === 'json') return (await jsonKeys(db, f.path)).map((name) => ({ name, type: 'JSON' }));
    const rows = await db.rows(`DESCRIBE SELECT * FROM ${scan}`);
    return rows.map((r) => ({ name: String(r.column_name).toLowerCase(), type: String(r.column_type) }));
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    const hint = isUrl(f.path) ? ' (DuckDB reads URLs with its httpfs extension, which it installs on first use from its extension repository; without network access, download the file and pass its path)' : '';
    throw new SourceError(`cannot read ${f.path} as ${f.format}: ${why}${hint}`);
  }
}

/** GA4 when the files have GA4's event columns, Segment when they have a warehouse's track columns. */
export async function detectFormat(db: Db, files: SourceFile[]): Promise<'ga4' | 'segment'> {
  for (const f of files.slice(0, 8)) {
    const cols = new Set((await columnsOf(db, f)).map((c) => c.name));
    if (cols.has('event_name') && cols.has('event_timestamp')) return 'ga4';
    if ((cols.has('event') || cols.has('event_text')) && (cols.has('anonymous_id') || cols.has('user_id'))) return 'segment';
  }
  throw new SourceError(`cannot tell the export's format from ${files[0]!.path}${files.length > 1 ? ` (and ${files.length - 1} more)` : ''}: expected GA4 columns (event_name, event_timestamp) or a Segment / RudderStack tracks table (event, anonymous_id); pass format explicitly`);
}
