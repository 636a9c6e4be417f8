/**
 * One GA4 item or Segment product → a minimised {@link StoredItem}. Only allow-listed fields are read;
 * names, variants, coupons, URLs and images are never copied.
 */
import { CATEGORY_KEYS, type DroppedFields, ITEM_KEYS } from './keys.js';
import { Fail, MAX_ID_LENGTH, MAX_SHORT_LENGTH, toBucket, toCount, toIdString } from './fields.js';

/** A minimised stored item: only these fields ever reach storage. */
export interface StoredItem {
  id: string;
  list?: string;
  index?: number;
  category?: string;
  brand?: string;
  priceBucket?: number;
  quantity?: number;
}

type Source = Record<string, unknown>;

/** The first of `keys` whose value is present (not undefined, null or an empty string). */
function firstPresent(src: Source, keys: readonly string[]): [string, unknown] | undefined {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = src[k];
    if (v !== undefined && v !== null && v !== '') return [k, v];
  }
  return undefined;
}

const ID_KEYS = ['item_id', 'product_id', 'sku'] as const;
const INDEX_KEYS = ['index', 'position'] as const;
const BRAND_KEYS = ['item_brand', 'brand'] as const;

/**
 * Normalises one item. `path` names it in reasons ("items[2]"); `dropped` collects unknown keys unless
 * the caller already scanned this object (a Segment single product is scanned as the event).
 */
export function normaliseItem(raw: unknown, path: string, dropped: DroppedFields | null): StoredItem | Fail {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return new Fail('invalid_item', `${path} must be an object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  const src = raw as Source;

  const idField = firstPresent(src, ID_KEYS);
  if (idField === undefined) return new Fail('missing_item_id', `${path} has no item_id (or Segment product_id/sku)`);
  const id = toIdString(idField[1], `${path}.${idField[0]}`, MAX_ID_LENGTH);
  if (id instanceof Fail) return id;
  if (id === undefined) return new Fail('missing_item_id', `${path}.${idField[0]} is blank`);
  const item: StoredItem = { id };

  const list = toIdString(src.item_list_id, `${path}.item_list_id`, MAX_SHORT_LENGTH);
  if (list instanceof Fail) return list;
  if (list !== undefined) item.list = list;

  const idx = firstPresent(src, INDEX_KEYS);
  if (idx !== undefined) {
    const n = toCount(idx[1], `${path}.${idx[0]}`);
    if (n instanceof Fail) return n;
    if (n !== undefined) item.index = n;
  }

  const cat = firstPresent(src, CATEGORY_KEYS);
  if (cat !== undefined) {
    const c = toIdString(cat[1], `${path}.${cat[0]}`, MAX_SHORT_LENGTH);
    if (c instanceof Fail) return c;
    if (c !== undefined) item.category = c;
  }

  const br = firstPresent(src, BRAND_KEYS);
  if (br !== undefined) {
    const b = toIdString(br[1], `${path}.${br[0]}`, MAX_SHORT_LENGTH);
    if (b instanceof Fail) return b;
    if (b !== undefined) item.brand = b;
  }

  const pb = toBucket(src.price, `${path}.price`);
  if (pb instanceof Fail) return pb;
  if (pb !== undefined) item.priceBucket = pb;

  const q = toCount(src.quantity, `${path}.quantity`);
  if (q instanceof Fail) return q;
  if (q !== undefined) item.quantity = q;

  if (dropped !== null && !dropped.scan(src, ITEM_KEYS, `${path.slice(0, path.indexOf('['))}[].`)) {
    return new Fail('too_large', `${path} has more than 256 fields`);
  }
  return item;
}
