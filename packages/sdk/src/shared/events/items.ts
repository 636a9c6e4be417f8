/**
 * One GA4 item or Segment product → a minimised {@link StoredItem}. Only allow-listed fields are read;
 * names, variants, coupons, URLs and images are never copied. Field names for reasons are built only
 * when something is refused: this runs on every `track()` and must stay allocation-light.
 */
import { CATEGORY_KEYS, type DroppedFields, ITEM_KEYS, MAX_KEYS } from './keys.js';
import { Fail, MAX_ID_LENGTH, MAX_SHORT_LENGTH, toBucket, toCount, toIdString } from './fields.js';

/** A minimised stored item: only these fields ever reach storage. */
export interface StoredItem {
  id: string;
  list?: string;
  index?: number;
  /** Position in the shop's own order before `rerank()` reordered the list (its impression events). */
  originalIndex?: number;
  category?: string;
  brand?: string;
  priceBucket?: number;
  quantity?: number;
}

type Source = Record<string, unknown>;

/**
 * Where an item's id is read from, in order: GA4 `item_id`, Segment `product_id` (and the camelCase `productId`
 * that Shopify's and several pixels' payloads use), the UA-era gtag item's and Segment v1 product's `id`, then
 * Segment `sku`. A single product at the top level takes `id` only in Segment's single-product events: elsewhere
 * it is as likely an order's or a page's id.
 */
export const ID_KEYS = ['item_id', 'product_id', 'productId', 'id', 'sku'] as const;
const TOP_LEVEL_ID_KEYS = ['item_id', 'product_id', 'productId', 'sku'] as const;
const TOP_LEVEL_GATE_WITH_ID = [...TOP_LEVEL_ID_KEYS, 'id'] as const;
/**
 * Whether the props themselves carry a product (a Segment single-product event, or the GA4 shorthand): the first
 * of the keys a top-level product is read from (`id` too when `topLevelId`) that is not null or undefined holds
 * something other than ''.
 */
export function hasTopLevelProduct(props: Source, topLevelId: boolean): boolean {
  const keys = topLevelId ? TOP_LEVEL_GATE_WITH_ID : TOP_LEVEL_ID_KEYS;
  for (let i = 0; i < keys.length; i++) {
    const v = props[keys[i] as string];
    if (v !== undefined && v !== null) return v !== '';
  }
  return false;
}

/** Position in the list: GA4 `index`, Segment `position`, UA-era gtag `list_position`. */
const INDEX_KEYS = ['index', 'position', 'list_position'] as const;
export const BRAND_KEYS = ['item_brand', 'brand'] as const;

/** Where an item sits, for reasons: `items[2]`, or the top-level props for a single product. */
export function itemPath(label: string, index: number): string {
  return index < 0 ? label : `${label}[${index}]`;
}

// The value found by the last `firstPresent` call: avoids allocating a [key, value] pair per field.
let found: unknown;

/** The first of `keys` whose value is present (not undefined, null or ''); its value is left in `found`. */
function firstPresent(src: Source, keys: readonly string[]): string | undefined {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = src[k];
    if (v !== undefined && v !== null && v !== '') {
      found = v;
      return k;
    }
  }
  return undefined;
}

/**
 * A short optional string field (category, brand): the first present of `keys`, ≤ 64 characters. A longer
 * one is cut to 64 (and the cut recorded); one of the wrong type or that looks like personal data is dropped.
 */
function shortField(src: Source, keys: readonly string[], label: string, index: number, issues: DroppedFields | null): string | undefined {
  const k = firstPresent(src, keys);
  if (k === undefined) return undefined;
  const r = storedName(found);
  if (r === undefined || typeof r === 'string') return r;
  issues?.drop(r.fail, `${label}[].${k}`, `${itemPath(label, index)}.${k}`, r.cut !== undefined);
  return r.cut;
}

/**
 * A category or brand value as an item stores it: the string itself (undefined when empty); or, when it is a name too long to keep
 * whole (at most MAX_FREE_TEXT characters), its first MAX_SHORT_LENGTH characters, trimmed, with the reason it
 * was cut; or only the reason it is refused. The trainer's feed reader names items' attributes through this
 * too, so a feed's brand matches the brand `track()` stored.
 */
export function storedName(v: unknown): string | undefined | { fail: Fail; cut?: string } {
  const s = toIdString(v, MAX_SHORT_LENGTH);
  if (!(s instanceof Fail)) return s;
  if (s.code === 'too_large' && typeof v === 'string' && v.length <= MAX_FREE_TEXT) {
    const cut = toIdString(v.trim().slice(0, MAX_SHORT_LENGTH), MAX_SHORT_LENGTH);
    if (typeof cut === 'string') return { fail: s, cut };
  }
  return { fail: s };
}

/** Longest category or brand that is cut to 64 characters rather than dropped (longer is not a name). */
const MAX_FREE_TEXT = 256;

/** An optional count (position, quantity): undefined when absent, dropped and recorded when unusable. */
function optionalCount(v: unknown, key: string, label: string, index: number, issues: DroppedFields | null): number | undefined {
  const n = toCount(v);
  if (!(n instanceof Fail)) return n;
  issues?.drop(n, `${label}[].${key}`, `${itemPath(label, index)}.${key}`);
  return undefined;
}

/**
 * Normalises one item: `label`/`index` name it in reasons (`index` -1: the props themselves, a Segment
 * single product). Only the id can refuse the item (missing, or unusable: a URL, an email, too long); every
 * other field that is unusable is dropped and recorded in `issues` (null: not recorded). `scanKeys`: also list
 * unknown keys (false when the caller scanned the object). `topLevelId`: a top-level product may take its id
 * from `id` (a Segment single-product event).
 */
export function normaliseItem(raw: unknown, label: string, index: number, issues: DroppedFields | null, scanKeys: boolean, topLevelId = false): StoredItem | Fail {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const got = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw;
    return new Fail('invalid_item', `${itemPath(label, index)} must be an object, got ${got}`);
  }
  const src = raw as Source;

  const idKey = firstPresent(src, index < 0 && !topLevelId ? TOP_LEVEL_ID_KEYS : ID_KEYS);
  if (idKey === undefined) return new Fail('missing_item_id', `${itemPath(label, index)} has no item_id (or product_id, id, sku)`);
  const id = toIdString(found, MAX_ID_LENGTH);
  if (id instanceof Fail) return id.at(`${itemPath(label, index)}.${idKey}`);
  if (id === undefined) return new Fail('missing_item_id', `${itemPath(label, index)}.${idKey} is blank`);
  const item: StoredItem = { id };

  const list = toIdString(src.item_list_id, MAX_SHORT_LENGTH);
  if (list instanceof Fail) issues?.drop(list, `${label}[].item_list_id`, `${itemPath(label, index)}.item_list_id`);
  else if (list !== undefined) item.list = list;

  const idxKey = firstPresent(src, INDEX_KEYS);
  if (idxKey !== undefined) {
    const n = optionalCount(found, idxKey, label, index, issues);
    if (n !== undefined) item.index = n;
  }

  const orig = optionalCount(src.original_index, 'original_index', label, index, issues);
  if (orig !== undefined) item.originalIndex = orig;

  const category = shortField(src, CATEGORY_KEYS, label, index, issues);
  if (category !== undefined) item.category = category;

  const brand = shortField(src, BRAND_KEYS, label, index, issues);
  if (brand !== undefined) item.brand = brand;

  const pb = toBucket(src.price);
  if (pb instanceof Fail) issues?.drop(pb, `${label}[].price`, `${itemPath(label, index)}.price`);
  else if (pb !== undefined) item.priceBucket = pb;

  const q = optionalCount(src.quantity, 'quantity', label, index, issues);
  if (q !== undefined) item.quantity = q;

  if (scanKeys && issues !== null && !issues.scan(src, ITEM_KEYS, label)) {
    issues.drop(new Fail('too_large', `has more than ${MAX_KEYS} fields; only the fields read above are kept`), `${label}[]`, itemPath(label, index));
  }
  return item;
}
