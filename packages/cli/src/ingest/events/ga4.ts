/**
 * GA4's BigQuery export (`events_YYYYMMDD`, one row per event) as the reader's `base` relation:
 * https://support.google.com/analytics/answer/7029846 (event schema).
 *
 * - name: `event_name`; time: `event_timestamp` (INT64 microseconds, UTC; in BigQuery's JSON export a string
 *   of digits); user: `user_pseudo_id` (the export's pseudonymous device id);
 * - session: the `ga_session_id` event parameter (`event_params[key = 'ga_session_id'].value.int_value`),
 *   keyed with the user, as GA4 itself counts sessions;
 * - items: `items[]` with `item_id`, `item_category` … `item_category5`, `item_brand`.
 *
 * Files: newline-delimited JSON (BigQuery's JSON export; parsed in SQL line by line so that a malformed line
 * is counted with its line number and the rest read) or Parquet (read in place, projected columns only).
 */
import { SourceError } from '../report.js';
import { ID_KEYS } from '@perch/sdk/events';
import { ITEM_FIELDS, ITEM_STRUCT, clean, itemId, itemStruct, structField, typeHasField } from './items.js';
import { columnsOf, linesScan, type SourceFile } from './sources.js';
import { ident, lit, type Db } from './db.js';
import type { SourcePlan } from './plan.js';
import { timeColumnKind } from './time.js';

/** Where a file's rows are numbered from: `loc` = file index · 2^32 + line (JSON) or row (Parquet), 1-based. */
export const LOC_FILE = 4294967296;

const PARAM_VALUES = ['int_value', 'string_value', 'double_value', 'float_value'] as const;

/** The SDK's item fields that GA4's export has (its items are `item_…`; `id`, `sku`, `brand`, … are other sources'). */
const GA4_ITEM_FIELDS = ITEM_FIELDS.filter((k) => k.startsWith('item_'));

/** `from_json` spec of the fields read from one GA4 event. */
const JSON_SPEC = JSON.stringify({
  event_name: 'VARCHAR',
  event_timestamp: 'VARCHAR',
  user_pseudo_id: 'VARCHAR',
  event_params: [{ key: 'VARCHAR', value: Object.fromEntries(PARAM_VALUES.map((k) => [k, 'VARCHAR'])) }],
  items: [Object.fromEntries(GA4_ITEM_FIELDS.map((k) => [k, 'VARCHAR']))],
});

/**
 * The session id from the event's parameters (whichever value field holds it; a float as an integer), read
 * from the one matching parameter (a lambda over the filtered list, so the list is filtered once).
 */
function sessionIdSql(params: string, valueHas: (k: string) => boolean): string {
  const vals = PARAM_VALUES.filter(valueHas).map((k) =>
    k === 'double_value' || k === 'float_value' ? clean(`TRY_CAST(TRY_CAST(p.value.${k} AS DOUBLE) AS BIGINT)`) : clean(`p.value.${k}`));
  if (vals.length === 0) return 'NULL::VARCHAR';
  return `list_transform(list_filter(${params}, lambda p: p.key = 'ga_session_id'), lambda p: coalesce(${vals.join(', ')}))[1]`;
}

function jsonBase(f: SourceFile, i: number): string {
  const items = `list_transform(j.items, lambda x: ${itemStruct(structField('x', (k) => GA4_ITEM_FIELDS.includes(k)))})`;
  // One parse per line: a line that is not JSON gives NULL; one that is JSON but not an object gives a struct
  // of NULLs, and only then is its type asked for.
  return `SELECT loc,
      CASE WHEN j IS NULL THEN 'invalid JSON'
        WHEN j.event_name IS NULL AND j.event_timestamp IS NULL AND j.user_pseudo_id IS NULL AND j.items IS NULL AND j.event_params IS NULL
          THEN CASE WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object' END END AS bad,
      j.event_name AS name, j.user_pseudo_id AS usr, ${sessionIdSql('j.event_params', () => true)} AS sid,
      j.event_timestamp AS ts, CAST(${items} AS ${ITEM_STRUCT}[]) AS items, 0::UTINYINT AS flags
    FROM (
      SELECT ${i}::BIGINT * ${LOC_FILE} + ordinality AS loc, line, TRY(from_json(line, ${lit(JSON_SPEC)})) AS j
      FROM ${linesScan(f.path)} WITH ORDINALITY
      WHERE line IS NOT NULL AND (strlen(line) > 16 OR trim(line) <> ''))`;
}

interface ParquetParts { base: string; attrs: string; tsType: string }

/**
 * A Parquet file read in place: the per-event columns (item ids only), and apart from them the item fields
 * grouped by their distinct values before any normalisation (a few thousand groups instead of one struct
 * per item occurrence).
 */
async function parquetParts(db: Db, f: SourceFile, i: number): Promise<ParquetParts> {
  const cols = new Map((await columnsOf(db, f)).map((c) => [c.name, c.type]));
  for (const need of ['event_name', 'event_timestamp']) if (!cols.has(need)) throw new SourceError(`${f.path} has no ${need} column: not a GA4 export`);
  const col = (k: string, type = 'VARCHAR'): string => (cols.has(k) ? ident(k) : `NULL::${type}`);
  const scan = `read_parquet(${lit(f.path)}, file_row_number = true)`;
  const itemsType = cols.get('items');
  const has = (k: string): boolean => itemsType !== undefined && typeHasField(itemsType, k);
  const ids = itemsType === undefined ? '[]::VARCHAR[]' : `list_transform(items, lambda x: ${itemId(structField('x', has))})`;
  const paramsType = cols.get('event_params');
  const sid = paramsType === undefined ? 'NULL::VARCHAR' : sessionIdSql('event_params', (k) => typeHasField(paramsType, k));
  const fields = ITEM_FIELDS.filter(has);
  const attrs = fields.length === 0 || !fields.some((k) => ID_KEYS.includes(k as (typeof ID_KEYS)[number]))
    ? `SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS cat, NULL::UTINYINT AS lvl, NULL::VARCHAR AS brand, 0::BIGINT AS n WHERE false`
    : `SELECT s.id, s.cat, s.lvl, s.brand, n FROM (
        SELECT ${itemStruct((k) => (fields.includes(k) ? ident(k) : undefined))} AS s, n FROM (
          SELECT ${fields.map((k) => `CAST(x.${ident(k)} AS VARCHAR) AS ${ident(k)}`).join(', ')}, count(*) AS n
          FROM (SELECT unnest(items) AS x FROM ${scan}) GROUP BY ALL))`;
  return {
    base: `SELECT ${i}::BIGINT * ${LOC_FILE} + file_row_number + 1 AS loc, NULL::VARCHAR AS bad,
        CAST(event_name AS VARCHAR) AS name, CAST(${col('user_pseudo_id')} AS VARCHAR) AS usr, ${sid} AS sid,
        event_timestamp AS ts, ${ids} AS ids, 0::UTINYINT AS flags
      FROM ${scan}`,
    attrs,
    tsType: cols.get('event_timestamp')!,
  };
}

/** The plan for GA4 files: JSON files are parsed once into a table, Parquet files read in place. */
export async function ga4Plan(db: Db, files: SourceFile[]): Promise<SourcePlan> {
  const json = files.map((f, i) => ({ f, i })).filter((x) => x.f.format === 'json');
  const parquet = files.map((f, i) => ({ f, i })).filter((x) => x.f.format === 'parquet');
  const csv = files.find((f) => f.format === 'csv');
  if (csv) throw new SourceError(`${csv.path}: a GA4 export is newline-delimited JSON or Parquet (its items and event_params are nested), not CSV`);
  const parts: ParquetParts[] = [];
  for (const { f, i } of parquet) parts.push(await parquetParts(db, f, i));
  // A JSON file's time column is text; a Parquet file's INT64. One relation needs one type: text unless all are numbers.
  const numeric = json.length === 0 && parts.every((p) => timeColumnKind(p.tsType) === 'number');
  const bases = parts.map((p) => p.base);
  const attrs = parts.map((p) => p.attrs);
  const build: string[] = [];
  if (json.length > 0) {
    build.push(`CREATE TABLE base_json AS ${json.map(({ f, i }) => jsonBase(f, i)).join('\nUNION ALL\n')}`);
    bases.push('SELECT loc, bad, name, usr, sid, ts, list_transform(items, lambda x: x.id) AS ids, flags FROM base_json');
    attrs.push('SELECT x.id, x.cat, x.lvl, x.brand, count(*) AS n FROM (SELECT unnest(items) AS x FROM base_json) GROUP BY ALL');
  }
  const relation = bases.map((b) => (numeric ? b : `SELECT loc, bad, name, usr, sid, CAST(ts AS VARCHAR) AS ts, ids, flags FROM (${b})`)).join('\nUNION ALL\n');
  build.push(`CREATE VIEW base AS ${relation}`);
  return {
    format: 'ga4',
    files,
    build,
    heavy: json.length > 0 ? 0 : -1,
    itemAttrs: attrs.join('\nUNION ALL\n'),
    time: { column: 'event_timestamp', kind: numeric ? 'number' : 'string', expected: 'micros' },
    userColumn: 'user_pseudo_id',
    sessionColumn: 'ga_session_id',
    sessionIdExpected: true,
  };
}
