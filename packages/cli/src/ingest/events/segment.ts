/**
 * A Segment or RudderStack warehouse dump as the reader's `base` relation. The warehouses' schemas:
 * https://segment.com/docs/connections/storage/warehouses/schema/ and
 * https://www.rudderstack.com/docs/destinations/warehouse-destinations/warehouse-schema/
 *
 * Input: the tables of one source as files (a directory, a glob or several paths), one file per table, named
 * after it (`tracks.csv`, `product_viewed.parquet`, `order_completed.json`, optionally compressed):
 * - per-event tables (`product_viewed`, `product_added`, `order_completed`, …) carry the columns every track
 *   call has (`id`, `anonymous_id`, `user_id`, `event`, `event_text`, `timestamp`, `received_at`, `context_*`)
 *   and the event's properties flattened into columns (`product_id`, `sku`, `category`, `brand`, `price`, …;
 *   arrays such as Order Completed's `products` stringified as JSON);
 * - `tracks` carries the common columns of every track call and no properties. A tracks row whose `id` is
 *   also in a per-event table is that same call (read once, from the per-event table); a tracks row without
 *   one is read as it is (an e-commerce event there has no items: counted as such). A single `tracks` dump
 *   whose properties were flattened into it is read the same way;
 * - other tables (`identifies`, `users`, `pages`, `screens`, `groups`, `aliases`, `accounts`) are not track
 *   calls: skipped and counted.
 *
 * Rules: the event name is `event_text` (the name as tracked), else `event` (the table slug, read back as words
 * when only that resolves: `product_viewed` → "product viewed"); the user is `user_id` when present, else
 * `anonymous_id`; the session is RudderStack's `context_session_id` (keyed with the user) when present, else
 * a new session after the inactivity gap; the time is `timestamp` (Segment's skew-corrected event time), else
 * `received_at` (counted). Items: `items`, else `products` (JSON arrays, read with the SDK's item fields), else
 * the event's own top-level product columns (`product_id` / `sku` …, `category`, `brand`).
 */
import { CATEGORY_KEYS, ID_KEYS, BRAND_KEYS } from '@perch/sdk/events';
import type { IngestReport } from '../report.js';
import { SourceError } from '../report.js';
import { ident, lit, type Db } from './db.js';
import { LOC_FILE } from './ga4.js';
import { ITEM_FIELDS, ITEM_STRUCT, clean, itemStruct, structField } from './items.js';
import type { SourcePlan } from './plan.js';
import { columnsOf, linesScan, type SourceFile } from './sources.js';

/** Warehouse tables that hold no track calls. */
const NOT_TRACKS = new Set(['identifies', 'users', 'pages', 'screens', 'groups', 'aliases', 'accounts']);

const FLAG_RECEIVED_AT = 1;
const FLAG_BAD_ARRAY = 2;

/** Column spellings a warehouse may give an SDK field name: as is, snake_case, and digits split off. */
export function spellings(k: string): string[] {
  const snake = k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return [...new Set([k.toLowerCase(), snake, snake.replace(/([a-z])(\d)/g, '$1_$2')])];
}

/** Top-level product fields: the SDK's, minus `id` (a warehouse row's `id` is the message id). */
const TOP_ID_KEYS = ID_KEYS.filter((k) => k !== 'id');
const TOP_FIELDS = [...new Set([...TOP_ID_KEYS, ...CATEGORY_KEYS, ...BRAND_KEYS].flatMap(spellings))];
const COMMON = ['id', 'anonymous_id', 'user_id', 'event', 'event_text', 'timestamp', 'received_at', 'context_session_id'];
const ARRAYS = ['items', 'products'];

/** Placeholder for the relation a table's rows come from. */
const ROWS = '/*rows*/';

const ARRAY_SPEC = JSON.stringify([Object.fromEntries(ITEM_FIELDS.map((k) => [k, 'VARCHAR']))]);
const JSON_SPEC = JSON.stringify(Object.fromEntries([...COMMON, ...TOP_FIELDS].map((k) => [k, 'VARCHAR']).concat(ARRAYS.map((k) => [k, 'JSON']))));
const JSON_KEYS = new Set([...COMMON, ...TOP_FIELDS, ...ARRAYS]);

/**
 * The base row of one table, from `col(k)`: SQL for column `k` (as text; JSON for the arrays), or undefined
 * when the table lacks it.
 */
function rowSql(col: (k: string) => string | undefined, f: SourceFile, isTracks: boolean, bad = 'NULL::VARCHAR'): string {
  const c = (k: string): string => col(k) ?? 'NULL::VARCHAR';
  const top = (k: string): string | undefined => spellings(k).map(col).find((x) => x !== undefined);
  const topItem = itemStruct(top, TOP_ID_KEYS);
  // The first array field present (items, then products), as JSON text; a JSON string holding an array (the
  // warehouse's stringified arrays read from a JSON dump) is unwrapped once.
  const arrays = ARRAYS.map(col).filter((x): x is string => x !== undefined);
  const txt = arrays.length === 0 ? 'NULL::VARCHAR' : `coalesce(${arrays.map((a) => `nullif(trim(CAST(${a} AS VARCHAR)), '')`).join(', ')})`;
  const j1 = `CASE WHEN json_valid(${txt}) THEN CAST(${txt} AS JSON) END`;
  const arr = `CASE WHEN json_type(${j1}) = 'VARCHAR' THEN CASE WHEN json_valid(${j1}->>'$') THEN CAST(${j1}->>'$' AS JSON) END ELSE ${j1} END`;
  const items = `CASE WHEN ${txt} IS NOT NULL THEN coalesce(CASE WHEN json_type(_arr_) = 'ARRAY' THEN list_transform(from_json(_arr_, ${lit(ARRAY_SPEC)}), lambda x: ${itemStruct(structField('x', () => true))}) END, [])
    WHEN (${topItem}).id IS NOT NULL THEN [${topItem}] ELSE [] END`;
  const named = isTracks ? `coalesce(${clean(c('event_text'))}, ${clean(c('event'))})` : `coalesce(${clean(c('event_text'))}, ${clean(c('event'))}, ${lit(f.table)})`;
  // A row that could not be read has no name (not even its table's).
  const name = bad === 'NULL::VARCHAR' ? named : `CASE WHEN ${bad} IS NULL THEN ${named} END`;
  return `SELECT loc, ${bad} AS bad, ${name} AS name,
      coalesce(${clean(c('user_id'))}, ${clean(c('anonymous_id'))}) AS usr,
      ${clean(c('context_session_id'))} AS sid,
      coalesce(${clean(c('timestamp'))}, ${clean(c('received_at'))}) AS ts,
      CAST(${items} AS ${ITEM_STRUCT}[]) AS items,
      ((CASE WHEN ${clean(c('timestamp'))} IS NULL AND ${clean(c('received_at'))} IS NOT NULL THEN ${FLAG_RECEIVED_AT} ELSE 0 END)
        + (CASE WHEN ${txt} IS NOT NULL AND coalesce(json_type(_arr_), '') <> 'ARRAY' THEN ${FLAG_BAD_ARRAY} ELSE 0 END))::UTINYINT AS flags,
      ${isTracks} AS is_tracks, ${clean(c('id'))} AS msg_id
    FROM (SELECT *, ${arr} AS _arr_ FROM ${ROWS}) t`;
}

async function fileSql(db: Db, f: SourceFile, i: number): Promise<string> {
  const isTracks = f.table === 'tracks' || f.table.startsWith('tracks_');
  if (f.format === 'json') {
    // One parse per line, as for GA4 (ga4.ts): NULL when the line is not JSON; a struct of NULLs when it is JSON
    // but not an object, and only then is its type asked for.
    const bad = `CASE WHEN j IS NULL THEN 'invalid JSON'
      WHEN ${[...JSON_KEYS].map((k) => `j.${ident(k)} IS NULL`).join(' AND ')} THEN CASE WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object' END END`;
    const lines = `SELECT ${i}::BIGINT * ${LOC_FILE} + ordinality AS loc, line, TRY(from_json(line, ${lit(JSON_SPEC)})) AS j
      FROM ${linesScan(f.path)} WITH ORDINALITY WHERE line IS NOT NULL AND (strlen(line) > 16 OR trim(line) <> '')`;
    return rowSql((k) => (JSON_KEYS.has(k) ? `j.${ident(k)}` : undefined), f, isTracks, bad).replace(ROWS, () => `(${lines})`);
  }
  const cols = new Set((await columnsOf(db, f)).map((c) => c.name));
  const scan = f.format === 'parquet'
    ? `SELECT *, ${i}::BIGINT * ${LOC_FILE} + file_row_number + 1 AS loc FROM read_parquet(${lit(f.path)}, file_row_number = true)`
    : `SELECT *, ${i}::BIGINT * ${LOC_FILE} + ordinality AS loc FROM read_csv(${lit(f.path)}, all_varchar = true, header = true, store_rejects = true) WITH ORDINALITY`;
  const col = (k: string): string | undefined => (cols.has(k) ? (ARRAYS.includes(k) && f.format === 'parquet' ? `CASE WHEN typeof(${ident(k)}) IN ('VARCHAR', 'JSON') THEN CAST(${ident(k)} AS VARCHAR) ELSE CAST(to_json(${ident(k)}) AS VARCHAR) END` : `CAST(${ident(k)} AS VARCHAR)`) : undefined);
  return rowSql(col, f, isTracks).replace(ROWS, () => `(${scan})`);
}

/** The plan for a warehouse dump: every table file read into one table, tracks rows joined on `id`. */
export async function segmentPlan(db: Db, all: SourceFile[]): Promise<SourcePlan> {
  const files = all.filter((f) => !NOT_TRACKS.has(f.table));
  const skipped = all.filter((f) => NOT_TRACKS.has(f.table));
  if (files.length === 0) throw new SourceError(`no track tables among ${all.map((f) => f.path).join(', ')}: expected tracks and per-event tables (product_viewed, order_completed, …)`);
  const parts: string[] = [];
  for (let i = 0; i < all.length; i++) if (!NOT_TRACKS.has(all[i]!.table)) parts.push(await fileSql(db, all[i]!, i));
  const hasEventTables = files.some((f) => !(f.table === 'tracks' || f.table.startsWith('tracks_')));
  return {
    format: 'segment',
    files: all,
    build: [
      `CREATE TABLE base_all AS ${parts.join('\nUNION ALL\n')}`,
      `CREATE VIEW base AS SELECT loc, bad, name, usr, sid, ts, list_transform(items, lambda x: x.id) AS ids, flags FROM base_all${hasEventTables
        ? '\n WHERE NOT (is_tracks AND msg_id IN (SELECT msg_id FROM base_all WHERE NOT is_tracks AND msg_id IS NOT NULL))' : ''}`,
    ],
    heavy: 0,
    itemAttrs: 'SELECT x.id, x.cat, x.lvl, x.brand, count(*) AS n FROM (SELECT unnest(items) AS x FROM base_all) GROUP BY ALL',
    time: { column: 'timestamp', kind: 'string', expected: 'iso' },
    userColumn: 'user_id / anonymous_id',
    sessionColumn: 'context_session_id',
    sessionIdExpected: false,
    flagReasons: {
      [FLAG_RECEIVED_AT]: 'timestamp missing (received_at used)',
      [FLAG_BAD_ARRAY]: 'products / items is not a JSON array (no items read from it)',
    },
    nameFallback: (name) => (name.includes('_') ? name.replace(/_/g, ' ') : undefined),
    afterBuild: async (d: Db, report: IngestReport) => {
      report.count('files_skipped_not_track_tables', skipped.length);
      if (hasEventTables) {
        report.count('tracks_rows_joined_to_event_tables', await d.number(`SELECT count(*) FROM base_all WHERE is_tracks AND msg_id IN (SELECT msg_id FROM base_all WHERE NOT is_tracks AND msg_id IS NOT NULL)`));
      }
      await csvRejects(d, all, report);
    },
  };
}

/** Lines a CSV reader rejected (wrong number of columns, bad quoting), as malformed rows with their line numbers. */
async function csvRejects(db: Db, files: SourceFile[], report: IngestReport): Promise<void> {
  if (!files.some((f) => f.format === 'csv')) return;
  let rows: Record<string, unknown>[];
  try {
    rows = await db.rows(`SELECT s.file_path AS file, e.line, e.error_type, e.error_message FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id) ORDER BY s.file_path, e.line`);
  } catch {
    return; // no CSV was read with rejects (the table does not exist)
  }
  const byLine = new Map<string, Record<string, unknown>>();
  for (const r of rows) byLine.set(`${String(r.file)}:${String(r.line)}`, r); // one per line (a line may have several errors)
  const lines = [...byLine.values()];
  report.count('rows', lines.length);
  report.add('malformed row', lines.length, lines.slice(0, 5).map((r) => `${String(r.file)}:${String(r.line)}: ${String(r.error_type).toLowerCase().replace(/_/g, ' ')}`));
  for (const f of files) {
    const rej = lines.filter((r) => String(r.file) === f.path).map((r) => Number(r.line)).sort((a, b) => a - b);
    if (rej.length) f.rejectedLines = rej;
  }
}
