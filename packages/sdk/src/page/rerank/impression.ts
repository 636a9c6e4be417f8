/**
 * The impression of a list `rerank()` returned: a `view_item_list` event the SDK tracks itself, because many
 * shops never send one. Each item carries its shown position (`index`) and its position in the shop's own
 * order (`original_index`), so later training can correct for position bias (what the shopper clicks
 * depends on where it was shown). It goes through `track()`, so the usual rules apply: the event boundary
 * minimises it, it is stored only with `storage` consent (held while pending, dropped when denied), and it
 * is recorded whether or not the list was personalised (the shop's order was shown all the same).
 */
import type { RerankResult, ShopItem } from '../../types.js';

/** GA4's limit on items per event (the boundary refuses more). */
const MAX_ITEMS = 200;
/** Longest list id the boundary keeps. */
const MAX_LIST_ID = 64;
/** Item fields copied into the impression; the boundary keeps id, category, brand and a price bucket. */
const FIELDS = ['item_id', 'product_id', 'sku', 'item_category', 'item_category2', 'item_category3', 'item_category4', 'item_category5', 'category', 'item_brand', 'brand', 'price'] as const;

/**
 * The list id when the shop gives none: the page path (no query, no fragment), cut to 64 characters, or
 * "page" when it is empty or looks like personal data (an email in the path).
 */
export function defaultListId(): string {
  let path = '';
  try {
    path = typeof location !== 'undefined' ? location.pathname : '';
  } catch { /* opaque origin */ }
  path = path.slice(0, MAX_LIST_ID).trim();
  return path && path.indexOf('@') < 0 && path.indexOf('://') < 0 ? path : 'page';
}

/** The list id to report: the shop's `listId` when it is a non-empty string, else {@link defaultListId}. */
export function impressionListId(listId: unknown): string {
  return typeof listId === 'string' && listId.trim() ? listId.trim().slice(0, MAX_LIST_ID) : defaultListId();
}

/**
 * `track('view_item_list', …)` props for the shown list, or null when nothing was shown. Items without an
 * id are left out (one would make the boundary refuse the whole event); at most the first 200 shown.
 */
export function impressionProps(result: RerankResult<ShopItem>, listId: string): Record<string, unknown> | null {
  const items: Record<string, unknown>[] = [];
  const shown = result.items;
  for (let pos = 0; pos < shown.length && items.length < MAX_ITEMS; pos++) {
    const r = shown[pos];
    const src = r?.item as Record<string, unknown> | null | undefined;
    if (!r || typeof src !== 'object' || src === null) continue;
    const it: Record<string, unknown> = {};
    try {
      for (const k of FIELDS) {
        const v = src[k];
        if (typeof v === 'string' || typeof v === 'number') it[k] = v;
      }
    } catch {
      continue; // a throwing getter on the shop's object: that item is left out
    }
    if (it.item_id === undefined && it.product_id === undefined && it.sku === undefined) continue;
    it.index = pos;
    it.original_index = r.originalIndex;
    items.push(it);
  }
  return items.length ? { item_list_id: listId, items } : null;
}

/**
 * The impression event's props for `rerank(list, options)`'s result, or null when there is none to record
 * (`options.reportImpression: false`, nothing shown, or unreadable options). Never throws.
 */
export function impressionFor(result: RerankResult<ShopItem>, options: unknown): Record<string, unknown> | null {
  try {
    const o = options as { reportImpression?: unknown; listId?: unknown } | undefined;
    if (o?.reportImpression === false) return null;
    return impressionProps(result, impressionListId(o?.listId));
  } catch {
    return null;
  }
}
