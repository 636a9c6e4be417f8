/**
 * An export's items → one normalised struct per item, in SQL, read with the SDK's own field tables: the id
 * from the first present of `ID_KEYS`, the category from the first present of `CATEGORY_KEYS` (most specific
 * first; `lvl` is its position there) and the brand from `BRAND_KEYS`. Present means not NULL, not blank and
 * not GA4's placeholder `(not set)`.
 */
import { BRAND_KEYS, CATEGORY_KEYS, ID_KEYS } from '@perch/sdk/events';
import { ident } from './db.js';

/** A value as trimmed text, NULL when absent, blank or `(not set)`. */
export const clean = (v: string): string => `nullif(nullif(trim(CAST(${v} AS VARCHAR)), ''), '(not set)')`;

/** The normalised item type every reader produces. */
export const ITEM_STRUCT = 'STRUCT(id VARCHAR, cat VARCHAR, lvl UTINYINT, brand VARCHAR)';

/** Every item field read, for JSON specs (`from_json`). */
export const ITEM_FIELDS: readonly string[] = [...new Set<string>([...ID_KEYS, ...CATEGORY_KEYS, ...BRAND_KEYS])];

/**
 * The normalised struct of one item, given `field(k)`: SQL for the item's field `k`, or undefined when the
 * source has no such field. `idKeys` narrows the id fields (a Segment event's top-level `id` is the message's).
 */
export function itemStruct(field: (k: string) => string | undefined, idKeys: readonly string[] = ID_KEYS): string {
  const present = (keys: readonly string[]): string[] => keys.map(field).filter((f): f is string => f !== undefined).map(clean);
  const first = (vals: string[]): string => (vals.length === 0 ? 'NULL::VARCHAR' : vals.length === 1 ? vals[0]! : `coalesce(${vals.join(', ')})`);
  const cats = CATEGORY_KEYS.map((k, i) => ({ v: field(k), i })).filter((c) => c.v !== undefined).map((c) => ({ v: clean(c.v!), i: c.i }));
  const lvl = cats.length === 0 ? 'NULL::UTINYINT' : `CASE ${cats.map((c) => `WHEN ${c.v} IS NOT NULL THEN ${c.i}`).join(' ')} END::UTINYINT`;
  return `{'id': ${first(present(idKeys))}, 'cat': ${first(cats.map((c) => c.v))}, 'lvl': ${lvl}, 'brand': ${first(present(BRAND_KEYS))}}`;
}

/** The item's id alone (what the per-event pass reads): the first present of `idKeys`. */
export function itemId(field: (k: string) => string | undefined, idKeys: readonly string[] = ID_KEYS): string {
  const vals = idKeys.map(field).filter((f): f is string => f !== undefined).map(clean);
  return vals.length === 0 ? 'NULL::VARCHAR' : vals.length === 1 ? vals[0]! : `coalesce(${vals.join(', ')})`;
}

/** A struct field accessor for a lambda variable, for the fields `has` says exist. */
export const structField = (v: string, has: (k: string) => boolean) => (k: string): string | undefined => (has(k) ? `${v}.${ident(k)}` : undefined);

/** Whether a DuckDB type string (of a STRUCT or a LIST of STRUCT) has a field named `k`. */
export const typeHasField = (type: string, k: string): boolean => new RegExp(`[(,]\\s*"?${k}"?\\s`).test(type);
