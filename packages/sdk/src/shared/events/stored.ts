/**
 * The invariants of a stored {@link PerchEvent}, checked on a value that crossed a trust boundary
 * (a worker message, an IndexedDB record written by an older version, an import). `validateEvent` only
 * ever produces events that pass; the worker can re-check cheaply instead of trusting the page.
 */
import type { EventType } from '../../types.js';
import { MAX_COUNT, MAX_DWELL_MS, MAX_ID_LENGTH, MAX_ITEMS, MAX_PRICE_BUCKET, MAX_SHORT_LENGTH, piiReason } from './fields.js';
import { NEEDS_ITEMS } from './names.js';

const EVENT_FIELDS = new Set(['v', 'type', 'ts', 'items', 'list', 'dwellMs', 'attribution', 'value']);
const ITEM_FIELDS = new Set(['id', 'list', 'index', 'originalIndex', 'category', 'brand', 'priceBucket', 'quantity']);

const isInt = (n: unknown, hi: number): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= hi;
const isStr = (s: unknown, max: number): boolean =>
  typeof s === 'string' && s.length > 0 && s.length <= max && s === s.trim() && piiReason(s) === null;
const isPlain = (o: unknown): o is Record<string, unknown> =>
  typeof o === 'object' && o !== null && !Array.isArray(o) && Object.getPrototypeOf(o) === Object.prototype;

function itemProblem(it: unknown, i: number): string | null {
  if (!isPlain(it)) return `items[${i}] is not a plain object`;
  for (const k of Object.keys(it)) if (!ITEM_FIELDS.has(k)) return `items[${i}] has field ${k.slice(0, 64)}`;
  if (!isStr(it.id, MAX_ID_LENGTH)) return `items[${i}].id`;
  if (it.list !== undefined && !isStr(it.list, MAX_SHORT_LENGTH)) return `items[${i}].list`;
  if (it.category !== undefined && !isStr(it.category, MAX_SHORT_LENGTH)) return `items[${i}].category`;
  if (it.brand !== undefined && !isStr(it.brand, MAX_SHORT_LENGTH)) return `items[${i}].brand`;
  if (it.priceBucket !== undefined && !isInt(it.priceBucket, MAX_PRICE_BUCKET)) return `items[${i}].priceBucket`;
  if (it.index !== undefined && !isInt(it.index, MAX_COUNT)) return `items[${i}].index`;
  if (it.originalIndex !== undefined && !isInt(it.originalIndex, MAX_COUNT)) return `items[${i}].originalIndex`;
  if (it.quantity !== undefined && !isInt(it.quantity, MAX_COUNT)) return `items[${i}].quantity`;
  return null;
}

/**
 * Why `x` is not a well-formed stored event (the first problem found), or null when it is. Never throws
 * on plain data; a Proxy or throwing getter is reported as a problem.
 */
export function storedEventProblem(x: unknown): string | null {
  try {
    if (!isPlain(x)) return 'not a plain object';
    for (const k of Object.keys(x)) if (!EVENT_FIELDS.has(k)) return `has field ${k.slice(0, 64)}`;
    if (x.v !== 1) return 'v';
    if (typeof x.type !== 'string' || !Object.prototype.hasOwnProperty.call(NEEDS_ITEMS, x.type)) return 'type';
    if (typeof x.ts !== 'number' || !Number.isFinite(x.ts)) return 'ts';
    const items = x.items;
    if (!Array.isArray(items) || items.length > MAX_ITEMS) return 'items';
    if (NEEDS_ITEMS[x.type as EventType] && items.length === 0) return `${x.type} without items`;
    for (let i = 0; i < items.length; i++) {
      const p = itemProblem(items[i], i);
      if (p !== null) return p;
    }
    if (x.list !== undefined && !isStr(x.list, MAX_SHORT_LENGTH)) return 'list';
    if (x.value !== undefined && !isInt(x.value, MAX_PRICE_BUCKET)) return 'value';
    if (x.dwellMs !== undefined && !isInt(x.dwellMs, MAX_DWELL_MS)) return 'dwellMs';
    if (x.attribution !== undefined && !isStr(x.attribution, MAX_SHORT_LENGTH)) return 'attribution';
    return null;
  } catch {
    return 'unreadable (a getter or Proxy trap threw)';
  }
}
