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
import { normaliseItem, type StoredItem } from './items.js';
import { DroppedFields, EVENT_KEYS } from './keys.js';
import { NEEDS_ITEMS, resolveEventName } from './names.js';

export type { StoredItem } from './items.js';
export { MAX_ITEMS, priceBucket, bucketLowerBound } from './fields.js';
export { storedEventProblem } from './stored.js';
export { SEGMENT_EVENTS, SEGMENT_UNSUPPORTED_EVENTS, NEEDS_ITEMS } from './names.js';

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

export type ValidationResult = { ok: true; event: PerchEvent; dropped: string[] } | { ok: false; rejection: Rejection };

function reject(f: Fail, name: unknown, ts: number): ValidationResult {
  const rejection: Rejection = { code: f.code, reason: f.reason, ts };
  // The name as given, unless it looks like personal data (someone passing an email as the event name).
  if (typeof name === 'string') rejection.event = piiReason(name.slice(0, 64)) === null ? clip(name) : '(redacted)';
  return { ok: false, rejection };
}

/** The items source: GA4 `items`, Segment `products`, or the props themselves when they carry an id. */
function readItems(props: Record<string, unknown>, dropped: DroppedFields): StoredItem[] | Fail {
  let arr: unknown = props.items;
  let label = 'items';
  if (arr === undefined || arr === null) {
    arr = props.products;
    label = 'products';
  }
  if (arr === undefined || arr === null) {
    // Segment single-product events (and the GA4 shorthand) carry the product at the top level.
    const single = props.item_id ?? props.product_id ?? props.sku;
    if (single === undefined || single === null || single === '') return [];
    const it = normaliseItem(props, 'props', -1, null);
    return it instanceof Fail ? it : [it];
  }
  if (!Array.isArray(arr)) return new Fail('invalid_type', `${label} must be an array, got ${typeof arr}`);
  const n = arr.length;
  if (n > MAX_ITEMS) return new Fail('too_many_items', `${label} has ${n} entries, max ${MAX_ITEMS}`);
  const out: StoredItem[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const it = normaliseItem(arr[i], label, i, dropped);
    if (it instanceof Fail) return it;
    out[i] = it;
  }
  return out;
}

function build(type: EventType, props: Record<string, unknown>, ts: number, dropped: DroppedFields): PerchEvent | Fail {
  if (!dropped.scan(props, EVENT_KEYS, '')) return new Fail('too_large', 'props have more than 256 fields');
  const items = readItems(props, dropped);
  if (items instanceof Fail) return items;
  if (items.length === 0 && NEEDS_ITEMS[type]) {
    return new Fail('missing_item_id', `${type} needs at least one item with an item_id (GA4 items[] or Segment products[]/product_id)`);
  }
  const ev: PerchEvent = { v: 1, type, ts, items };

  const list = toIdString(props.item_list_id ?? props.list_id, MAX_SHORT_LENGTH, 'invalid_props');
  if (list instanceof Fail) return list.at(props.item_list_id != null ? 'item_list_id' : 'list_id');
  if (list !== undefined) ev.list = list;

  const rawValue = props.value ?? props.revenue ?? props.total;
  const value = toBucket(rawValue);
  if (value instanceof Fail) return value.at('value', value.code === 'invalid_item' ? 'invalid_props' : value.code);
  if (value !== undefined) ev.value = value;

  const dwell = toFiniteNumber(props.dwell_ms ?? props.engagement_time_msec);
  if (dwell instanceof Fail) return dwell.at('dwell_ms');
  if (dwell !== undefined) {
    if (dwell < 0) return new Fail('invalid_props', `dwell_ms must not be negative, got ${dwell}`);
    ev.dwellMs = Math.round(dwell > MAX_DWELL_MS ? MAX_DWELL_MS : dwell);
  }

  const attr = props.attribution;
  if (attr !== undefined && attr !== null) {
    if (typeof attr !== 'string') return new Fail('invalid_type', `attribution must be a string, got ${typeof attr}`);
    const a = toIdString(attr, MAX_SHORT_LENGTH, 'invalid_props');
    if (a instanceof Fail) return a.at('attribution');
    if (a !== undefined) ev.attribution = a;
  }
  return ev;
}

/**
 * Validates, maps (GA4 canonical; Segment e-commerce v2 names and property shapes), normalises and
 * minimises one `track()` call. Never throws: a throwing getter or Proxy trap becomes a rejection.
 */
export function validateEvent(name: unknown, props: unknown, now: number): ValidationResult {
  const ts = typeof now === 'number' && Number.isFinite(now) ? now : Date.now();
  try {
    if (typeof name !== 'string') return reject(new Fail('unknown_event', `event name must be a string, got ${typeof name}`), name, ts);
    const type = resolveEventName(name);
    if (typeof type !== 'string') return reject(new Fail('unknown_event', type.reason), name, ts);
    let obj: Record<string, unknown>;
    if (props === undefined) obj = {};
    else if (typeof props !== 'object' || props === null || Array.isArray(props)) {
      const got = props === null ? 'null' : Array.isArray(props) ? 'an array' : typeof props;
      return reject(new Fail('invalid_props', `props must be a plain object, got ${got}`), name, ts);
    } else obj = props as Record<string, unknown>;
    const dropped = new DroppedFields();
    const ev = build(type, obj, ts, dropped);
    if (ev instanceof Fail) return reject(ev, name, ts);
    return { ok: true, event: ev, dropped: dropped.list };
  } catch {
    // A getter, Proxy trap or toString on the shop's object threw; its message is not trusted or kept.
    return reject(new Fail('invalid_props', 'reading props threw (a getter or Proxy trap failed)'), name, ts);
  }
}
