import type { RejectCode } from '../../types.js';
import type { Fail } from './fields.js';

/**
 * The vocabulary the boundary recognises. A key in these sets is understood (and then either minimised
 * into the stored event or deliberately discarded); any other key is reported in `dropped`.
 * Sets, not object literals, so that "__proto__" or "constructor" are plain unknown keys.
 */

/** Item fields: GA4 `items[]` entries and Segment `products[]` entries (or a Segment single product). */
export const ITEM_KEYS: ReadonlySet<string> = new Set([
  // GA4 item parameters
  'item_id', 'item_name', 'affiliation', 'coupon', 'discount', 'index', 'item_brand', 'item_category',
  'item_category2', 'item_category3', 'item_category4', 'item_category5', 'item_list_id', 'item_list_name',
  'item_variant', 'location_id', 'price', 'quantity', 'promotion_id', 'promotion_name', 'creative_name',
  'creative_slot',
  // Segment e-commerce v2 product properties
  'product_id', 'sku', 'category', 'name', 'brand', 'variant', 'position', 'url', 'image_url',
  // UA-era gtag.js items (and Segment v1 products' id), Universal Analytics Enhanced Ecommerce products,
  // camelCase product ids (Shopify's and several pixels' payloads)
  'id', 'list_name', 'list_position', 'list', 'creative', 'productId',
  // Perch: the item's position in the shop's order before rerank() (the impressions the SDK reports)
  'original_index',
]);

/** Event-level fields: GA4 event parameters, Segment event properties and Perch's own two. */
const EVENT_ONLY_KEYS = [
  // GA4
  'items', 'currency', 'value', 'transaction_id', 'tax', 'shipping', 'search_term', 'payment_type',
  'shipping_tier', 'engagement_time_msec',
  // Segment
  'products', 'list_id', 'query', 'filters', 'sorts', 'cart_id', 'order_id', 'checkout_id', 'total',
  'revenue', 'subtotal', 'wishlist_id', 'wishlist_name',
  // UA-era gtag.js (`select_content`)
  'content_type',
  // Perch: dwell time on the product and the rerank attribution token returned by `rerank()`
  'dwell_ms', 'attribution',
];

/**
 * Top-level keys. Item keys are included because Segment puts a single product's fields at the top
 * level (Product Viewed, Product Added, ...) and Perch accepts the same shorthand for GA4 names.
 */
export const EVENT_KEYS: ReadonlySet<string> = new Set([...EVENT_ONLY_KEYS, ...ITEM_KEYS]);

/** Category fields from most to least specific; the first present one is stored. */
export const CATEGORY_KEYS = ['item_category5', 'item_category4', 'item_category3', 'item_category2', 'item_category', 'category'] as const;

/** At most this many dropped-field names are reported per event. */
export const MAX_DROPPED = 32;
/** Objects with more own keys than this are refused rather than scanned. */
export const MAX_KEYS = 256;

/**
 * A known field whose value was unusable: dropped (or, for category and brand, cut to length) while the
 * event was kept. `field` is generic (`items[].item_brand`), for counting; `reason` names the exact place.
 */
export interface FieldIssue {
  field: string;
  code: RejectCode;
  reason: string;
  /** Cut to the allowed length rather than dropped. */
  truncated?: true;
}

/**
 * Collects the names of unknown fields, de-duplicated across items ("items[].foo"), capped; and the known
 * fields dropped or cut (`issues`), capped too.
 */
export class DroppedFields {
  readonly list: string[] = [];
  /** Known fields dropped or cut; null until the first (most events have none). */
  issues: FieldIssue[] | null = null;

  /** Records a dropped (or cut) field: `f`'s reason prefixed with `where`; `field` is the generic name. */
  drop(f: Fail, field: string, where: string, truncated = false): void {
    this.issues ??= [];
    if (this.issues.length >= MAX_DROPPED) return;
    const issue: FieldIssue = { field, code: f.code, reason: `${where ? `${where} ` : ''}${f.reason}${truncated ? ' (cut to the limit)' : ' (dropped; the event is kept)'}` };
    if (truncated) issue.truncated = true;
    this.issues.push(issue);
  }
  // Created on the first unknown key: most events have none, and this runs on every track().
  private seen: Set<string> | null = null;

  /**
   * Records every own key of `obj` outside `known`, as `key` for the props (`label` '') or `label[].key`
   * for an item; returns false when `obj` has too many keys to be a shop's event.
   */
  scan(obj: object, known: ReadonlySet<string>, label: string): boolean {
    const keys = Object.keys(obj);
    if (keys.length > MAX_KEYS) return false;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      if (known.has(k)) continue;
      if (this.list.length >= MAX_DROPPED) return true;
      const short = k.length > 64 ? `${k.slice(0, 64)}…` : k;
      const name = label === '' ? short : `${label}[].${short}`;
      this.seen ??= new Set();
      if (this.seen.has(name)) continue;
      this.seen.add(name);
      this.list.push(name);
    }
    return true;
  }
}
