/**
 * The event boundary: every `track(name, props)` call passes through {@link validateEvent} before anything
 * is stored. Pure code (no DOM, no Node globals): it runs in the page, in the worker and in Node tests.
 *
 * What is stored, and why (data minimisation by allow-list; nothing else ever reaches storage):
 * - `type`       the GA4 event type: the sequence model's input token.
 * - `ts`         when it happened: for ordering, session splitting and retention.
 * - `items[].id` the shop's product id (≤ 128 chars): what the model learns to rank.
 * - `list`, `items[].list`, `items[].index`: which list and position: corrects the model for position bias.
 * - `items[].originalIndex`: the position in the shop's order before `rerank()` moved it (the impressions
 *   the SDK reports itself), so training can tell the shop's placement from the model's.
 * - `items[].category`, `items[].brand` (≤ 64 chars each): coarse intent features and diversity.
 *   Category is the most specific level given (item_category5 … item_category, or Segment `category`),
 *   because the top level alone ("Apparel") says little about intent and no level is personal data.
 * - `items[].priceBucket`, `value`: half-octave log buckets (floor(2·log2(1 + x))), never the amount.
 * - `items[].quantity`, `dwellMs`: engagement strength.
 * - `attribution`: the token `rerank()` returned, so uplift can be measured without a user id.
 * Never stored: product names, variants, coupons, URLs, image URLs, search terms, transaction/order/cart
 * ids, currency, affiliation, and any user id or email. Ids that look like emails or URLs are refused.
 */
import type { EventType, Rejection } from '../../types.js';
import { Fail, MAX_DWELL_MS, MAX_ITEMS, MAX_SHORT_LENGTH, clip, piiReason, toBucket, toFiniteNumber, toIdString } from './fields.js';
import { hasTopLevelProduct, normaliseItem, type StoredItem } from './items.js';
import { DroppedFields, EVENT_KEYS, MAX_KEYS, type FieldIssue } from './keys.js';
import { NEEDS_ITEMS, SELECT_CONTENT, resolveEventName, topLevelIdIsProduct } from './names.js';
import { unwrapTrackProps } from './datalayer.js';

export type { StoredItem } from './items.js';
export type { FieldIssue } from './keys.js';
export { MAX_ITEMS, priceBucket, bucketLowerBound } from './fields.js';
export { storedEventProblem } from './stored.js';
export { SEGMENT_EVENTS, SEGMENT_UNSUPPORTED_EVENTS, NEEDS_ITEMS, NOT_BEHAVIOUR_EVENTS, isEcommerceName } from './names.js';

export const EVENT_SCHEMA_VERSION = 1;

/** A minimised stored event. */
export interface PerchEvent {
  v: 1;
  type: EventType;
  ts: number;
  items: StoredItem[];
  list?: string;
  dwellMs?: number;
  attribution?: string;
  /** Order or cart value as a price bucket (see `priceBucket`), never the amount. */
  value?: number;
}

/**
 * A stored event with the unknown keys it carried (`dropped`: read by nothing, not counted) and the known
 * fields that were unusable and dropped or cut (`issues`: counted in `audit().droppedFields`); or a refusal.
 */
export type ValidationResult = { ok: true; event: PerchEvent; dropped: string[]; issues: FieldIssue[] } | { ok: false; rejection: Rejection };

function reject(f: Fail, name: unknown, ts: number): ValidationResult {
  const rejection: Rejection = { code: f.code, reason: f.reason, ts };
  // The name as given, unless it looks like personal data (someone passing an email as the event name).
  if (typeof name === 'string') rejection.event = piiReason(name.slice(0, 64)) === null ? clip(name) : '(redacted)';
  return { ok: false, rejection };
}

/**
 * Fills `out` from the items source: GA4 `items`, Segment `products`, or the props themselves when they carry
 * an id. An item that cannot be used (no id, an id that is a URL or an email, not an object) is left out and
 * recorded, so a list keeps its good items; an items field of the wrong shape is recorded as dropped. Returns
 * the first problem met (what refuses an event that needs items and has none left), or undefined.
 */
function readItems(props: Record<string, unknown>, issues: DroppedFields, out: StoredItem[], name: string): Fail | undefined {
  let arr: unknown = props.items;
  let label = 'items';
  if (arr === undefined || arr === null) {
    arr = props.products;
    label = 'products';
  }
  if (arr === undefined || arr === null) {
    // Segment single-product events (and the GA4 shorthand) carry the product at the top level.
    const topLevelId = topLevelIdIsProduct(name);
    if (!hasTopLevelProduct(props, topLevelId)) return undefined;
    const it = normaliseItem(props, 'props', -1, issues, false, topLevelId);
    if (it instanceof Fail) {
      issues.drop(it, 'props', '');
      return it;
    }
    out.push(it);
    return undefined;
  }
  // A PHP array with gaps serialises as an object keyed "0", "3", …: read its values in key order.
  if (arr !== null && typeof arr === 'object' && !Array.isArray(arr)) arr = indexedValues(arr as Record<string, unknown>) ?? arr;
  let shape: Fail | undefined;
  if (!Array.isArray(arr)) shape = new Fail('invalid_type', `${label} must be an array, got ${typeof arr}`);
  else if (arr.length > MAX_ITEMS) shape = new Fail('too_many_items', `${label} has ${arr.length} entries, max ${MAX_ITEMS}`);
  if (shape !== undefined) {
    issues.drop(shape, label, '');
    return shape;
  }
  const list = arr as unknown[];
  let first: Fail | undefined;
  for (let i = 0; i < list.length; i++) {
    const it = normaliseItem(list[i], label, i, issues, true);
    if (!(it instanceof Fail)) out.push(it);
    else {
      first ??= it;
      issues.drop(it, `${label}[]`, '');
    }
  }
  return first;
}

/** The values of an object whose keys are all array indices ("0", "3", …), at most MAX_ITEMS + 1 of them; else undefined. */
function indexedValues(o: Record<string, unknown>): unknown[] | undefined {
  const keys = Object.keys(o);
  if (keys.length === 0 || keys.length > MAX_ITEMS + 1) return undefined;
  for (const k of keys) {
    const c0 = k.charCodeAt(0);
    if (k.length > 6 || !(c0 >= 48 && c0 <= 57) || String(Number(k)) !== k) return undefined;
  }
  return keys.map((k) => o[k]);
}

/** An optional event-level field that is unusable: dropped and recorded, the event kept. */
function dropField(issues: DroppedFields, f: Fail, field: string): void {
  issues.drop(f, field, field);
}

function build(type: EventType, name: string, props: Record<string, unknown>, ts: number, issues: DroppedFields): PerchEvent | Fail {
  if (!issues.scan(props, EVENT_KEYS, '')) {
    issues.drop(new Fail('too_large', `have more than ${MAX_KEYS} fields; only the fields read below are kept`), 'props', 'props');
  }
  const items: StoredItem[] = [];
  const problem = readItems(props, issues, items, name);
  // An event that needs items and has none usable is refused, with the first item's problem when there was one.
  if (items.length === 0 && NEEDS_ITEMS[type]) {
    return problem ?? new Fail('missing_item_id', `${type} needs at least one item with an item_id (GA4 items[] or Segment products[]/product_id); ${EMPTY_WHY[type] ?? 'it has none'}`);
  }
  const ev: PerchEvent = { v: 1, type, ts, items };

  const listKey = props.item_list_id != null ? 'item_list_id' : 'list_id';
  const list = toIdString(props[listKey], MAX_SHORT_LENGTH, 'invalid_props');
  if (list instanceof Fail) dropField(issues, list, listKey);
  else if (list !== undefined) ev.list = list;

  const valueKey = props.value != null ? 'value' : props.revenue != null ? 'revenue' : 'total';
  const value = toBucket(props[valueKey]);
  if (value instanceof Fail) dropField(issues, value.code === 'invalid_item' ? new Fail('invalid_props', value.reason) : value, valueKey);
  else if (value !== undefined) ev.value = value;

  const dwellKey = props.dwell_ms != null ? 'dwell_ms' : 'engagement_time_msec';
  const dwell = toFiniteNumber(props[dwellKey]);
  if (dwell instanceof Fail) dropField(issues, dwell, dwellKey);
  else if (dwell !== undefined) {
    if (dwell < 0) dropField(issues, new Fail('invalid_props', `must not be negative, got ${dwell}`), dwellKey);
    else ev.dwellMs = Math.round(dwell > MAX_DWELL_MS ? MAX_DWELL_MS : dwell);
  }

  const attr = props.attribution;
  if (attr !== undefined && attr !== null) {
    const a = typeof attr === 'string' ? toIdString(attr, MAX_SHORT_LENGTH, 'invalid_props') : new Fail('invalid_type', `must be a string, got ${typeof attr}`);
    if (a instanceof Fail) dropField(issues, a, 'attribution');
    else if (a !== undefined) ev.attribution = a;
  }
  return ev;
}

/** Why an event that needs items and has none is refused, where a shop might expect it to be kept. */
const EMPTY_WHY: Partial<Record<EventType, string>> = {
  view_cart: 'an empty cart view says nothing about products',
  begin_checkout: 'a checkout without items says nothing about products',
};

/**
 * UA-era gtag.js's product click: `select_content` with `content_type: 'product'` is `select_item`; with any
 * other content type (a promotion) it is not shopping behaviour.
 */
function selectContent(props: unknown): EventType | Fail {
  const t = props !== null && typeof props === 'object' ? (props as Record<string, unknown>).content_type : undefined;
  if (typeof t === 'string' && t.trim().toLowerCase() === 'product') return 'select_item';
  const what = typeof t === 'string' ? `content_type "${clip(t, 32)}"` : 'no content_type';
  return new Fail('not_behaviour', `select_content with ${what} is not a product click (only content_type "product" is stored, as select_item)`);
}

/**
 * Validates, maps (GA4 canonical; Segment e-commerce v2 names and property shapes), normalises and
 * minimises one `track()` call. Never throws: a throwing getter or Proxy trap becomes a rejection.
 */
export function validateEvent(name: unknown, props: unknown, now: number): ValidationResult {
  const ts = typeof now === 'number' && Number.isFinite(now) ? now : Date.now();
  try {
    if (typeof name !== 'string') return reject(new Fail('unknown_event', `event name must be a string, got ${typeof name}`), name, ts);
    const resolved = name === SELECT_CONTENT ? selectContent(props) : resolveEventName(name);
    if (resolved instanceof Fail) return reject(resolved, name, ts);
    if (typeof resolved !== 'string') return reject(new Fail(resolved.code, resolved.reason), name, ts);
    const type = resolved;
    let obj: Record<string, unknown>;
    if (props === undefined) obj = {};
    else if (typeof props !== 'object' || props === null || Array.isArray(props)) {
      const got = props === null ? 'null' : Array.isArray(props) ? 'an array' : typeof props;
      return reject(new Fail('invalid_props', `props must be a plain object, got ${got}`), name, ts);
    } else obj = props as Record<string, unknown>;
    // A dataLayer-shaped payload given to track(): read its ecommerce object, or the UA action that goes with the
    // event (a GA4 name over a UA payload).
    obj = unwrapTrackProps(type, obj) ?? obj;
    const dropped = new DroppedFields();
    const ev = build(type, name, obj, ts, dropped);
    if (ev instanceof Fail) return reject(ev, name, ts);
    return { ok: true, event: ev, dropped: dropped.list, issues: dropped.issues ?? [] };
  } catch {
    // A getter, Proxy trap or toString on the shop's object threw; its message is not trusted or kept.
    return reject(new Fail('invalid_props', 'reading props threw (a getter or Proxy trap failed)'), name, ts);
  }
}
