/**
 * Explanations built only from the shopper's own stored history: each one names an event that really
 * happened on this device ("because you viewed SKU-12"), or the shopper's recent category. Nothing is
 * invented: no history behind an item → no explanation.
 */
import type { EventType } from '../../../types.js';
import type { RerankCandidate } from '../../../shared/rerank/api.js';

/** One remembered interaction (from the stored events, newest last). */
export interface HistoryEntry {
  type: EventType;
  id: string;
  category?: string;
  brand?: string;
  ts: number;
}

/** How strongly each event type says "interested", and the words for it. */
const VERBS: Partial<Record<EventType, { weight: number; phrase: (id: string) => string }>> = {
  purchase: { weight: 5, phrase: (id) => `you bought ${id}` },
  add_to_cart: { weight: 4, phrase: (id) => `you added ${id} to your cart` },
  begin_checkout: { weight: 4, phrase: (id) => `you checked out with ${id}` },
  add_to_wishlist: { weight: 3, phrase: (id) => `you saved ${id} to your wishlist` },
  select_item: { weight: 2, phrase: (id) => `you clicked ${id}` },
  view_item: { weight: 1, phrase: (id) => `you viewed ${id}` },
};

/** Index over the recent history: strongest (then newest) entry per item, category and brand. */
export interface HistoryIndex {
  byItem: Map<string, HistoryEntry>;
  byCategory: Map<string, HistoryEntry>;
  byBrand: Map<string, HistoryEntry>;
}

function better(a: HistoryEntry | undefined, b: HistoryEntry): boolean {
  if (!a) return true;
  const wa = VERBS[a.type]?.weight ?? 0, wb = VERBS[b.type]?.weight ?? 0;
  return wb > wa || (wb === wa && b.ts >= a.ts);
}

/** Builds the index from history entries (any order); types without a phrase are ignored. */
export function indexHistory(history: readonly HistoryEntry[]): HistoryIndex {
  const idx: HistoryIndex = { byItem: new Map(), byCategory: new Map(), byBrand: new Map() };
  for (const h of history) {
    if (!VERBS[h.type]) continue;
    if (better(idx.byItem.get(h.id), h)) idx.byItem.set(h.id, h);
    if (h.category !== undefined && better(idx.byCategory.get(h.category), h)) idx.byCategory.set(h.category, h);
    if (h.brand !== undefined && better(idx.byBrand.get(h.brand), h)) idx.byBrand.set(h.brand, h);
  }
  return idx;
}

/**
 * The explanation for one candidate, or null. Order of evidence: the item itself was interacted with;
 * an item of the same category; of the same brand.
 */
export function explain(c: RerankCandidate, idx: HistoryIndex): string | null {
  const own = idx.byItem.get(c.id);
  if (own) return `because ${VERBS[own.type]!.phrase(own.id)}`;
  if (c.category !== undefined) {
    const h = idx.byCategory.get(c.category);
    if (h) return `popular in your recent category ${c.category}: because ${VERBS[h.type]!.phrase(h.id)}`;
  }
  if (c.brand !== undefined) {
    const h = idx.byBrand.get(c.brand);
    if (h) return `from a brand you liked (${c.brand}): because ${VERBS[h.type]!.phrase(h.id)}`;
  }
  return null;
}
