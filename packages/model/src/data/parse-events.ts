import { EVENT_KINDS, GA4_EVENT_KINDS } from '../spec.js';
import { buildDataset, categoryBrandAttrs, type RawEvent } from './builder.js';
import { emptyStats, noteMalformed, noteProblem, type Dataset } from './types.js';

/**
 * Source event names → EVENT_KINDS rows (lower-cased): the SDK's GA4 types (`GA4_EVENT_KINDS`) and common
 * names of other logs. Anything else is a malformed line.
 */
export const KIND_ALIASES: Record<string, string> = {
  ...GA4_EVENT_KINDS,
  view: 'view', pageview: 'view', page_view: 'view', detail: 'view',
  click: 'click',
  cart: 'cart', addtocart: 'cart',
  remove: 'remove',
  transaction: 'purchase', order: 'purchase',
  wishlist: 'wishlist', checkout: 'checkout',
};

/** Column names accepted for each field, first match wins. */
const FIELDS = {
  time: ['event_time', 'timestamp', 'time', 'ts'],
  session: ['user_session', 'session', 'session_id', 'sessionid'],
  user: ['user_id', 'user', 'userid', 'visitorid'],
  type: ['event_type', 'type', 'event'],
  item: ['product_id', 'item_id', 'item', 'itemid'],
  category: ['category_code', 'category'],
  brand: ['brand'],
} as const;
type Field = keyof typeof FIELDS;

/** Splits one CSV line (RFC 4180 quotes, no embedded newlines). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '', q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Parses a timestamp: epoch seconds, epoch milliseconds (> 1e11) or a date string. NaN when unusable. */
export function parseTime(v: string): number {
  const s = v.trim();
  if (s === '') return NaN;
  if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s)) { const n = Number(s); return n > 1e11 ? n / 1000 : n; }
  return Date.parse(s.replace(' UTC', 'Z').replace(' ', 'T')) / 1000;
}

/**
 * Parses an event log, CSV with a header line or JSON Lines (detected from the first non-blank character),
 * into sessions (by session column, else by user). Event types map to EVENT_KINDS; category and brand become
 * attributes (`cat:…`, `brand:…`) and the category the category-intent class. Bad lines (wrong column count,
 * unknown event type, missing item, non-finite timestamp, invalid JSON) are reported as `file:line`, skipped
 * and counted. Events of a session are sorted by time (stable).
 */
export function parseEventLog(text: string, file: string): Dataset {
  const stats = emptyStats();
  const lines = text.split('\n');
  let first = 0;
  while (first < lines.length && lines[first]!.trim() === '') first++;
  const jsonl = (lines[first] ?? '').trim().startsWith('{');
  let header: string[] = [];
  if (!jsonl) header = splitCsvLine(lines[first]!.trim()).map((h) => h.trim().toLowerCase());
  const col = (f: Field): number => { for (const n of FIELDS[f]) { const i = header.indexOf(n); if (i >= 0) return i; } return -1; };
  if (!jsonl && (col('item') < 0 || col('type') < 0 || (col('session') < 0 && col('user') < 0))) {
    throw new Error(`${file}:${first + 1}: header must name an item, an event type and a session or user column (got ${header.join(',')})`);
  }
  const groups = new Map<string, (RawEvent & { line: number })[]>();
  const attrs = new Map<string, string[]>();
  const categories = new Map<string, string>();
  for (let i = jsonl ? first : first + 1; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    stats.lines++;
    const rec = jsonl ? jsonRecord(raw) : csvRecord(raw, header);
    if (typeof rec === 'string') { noteMalformed(stats, `${file}:${i + 1}: ${rec}`); continue; }
    const get = (f: Field): string => {
      for (const n of FIELDS[f]) { const v = rec[n]; if (v !== undefined && v !== null && v !== '') return String(v).trim(); }
      return '';
    };
    const item = get('item');
    const kindName = KIND_ALIASES[get('type').toLowerCase()];
    const key = get('session') || get('user');
    const t = get('time');
    const time = t === '' ? undefined : parseTime(t);
    if (!item) { noteMalformed(stats, `${file}:${i + 1}: missing item id`); continue; }
    if (!kindName) { noteMalformed(stats, `${file}:${i + 1}: unknown event type "${get('type')}"`); continue; }
    if (!key) { noteMalformed(stats, `${file}:${i + 1}: missing session/user`); continue; }
    if (time !== undefined && !Number.isFinite(time)) { stats.nonFinite++; noteProblem(stats, `${file}:${i + 1}: non-finite timestamp "${t}"`); continue; }
    const cat = get('category'), brand = get('brand');
    if (cat || brand) attrs.set(item, categoryBrandAttrs(cat, brand));
    if (cat) categories.set(item, cat);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push({ item, kind: EVENT_KINDS.indexOf(kindName as (typeof EVENT_KINDS)[number]), time, line: i + 1 });
  }
  for (const g of groups.values()) g.sort((a, b) => (a.time ?? 0) - (b.time ?? 0) || a.line - b.line);
  return buildDataset(file, groups, { attrs, categories }, true, stats);
}

function csvRecord(line: string, header: string[]): Record<string, unknown> | string {
  const cells = splitCsvLine(line);
  if (cells.length !== header.length) return `expected ${header.length} columns, got ${cells.length}`;
  const rec: Record<string, unknown> = {};
  header.forEach((h, j) => { rec[h] = cells[j]; });
  return rec;
}

function jsonRecord(line: string): Record<string, unknown> | string {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : 'expected a JSON object';
  } catch { return 'invalid JSON'; }
}
