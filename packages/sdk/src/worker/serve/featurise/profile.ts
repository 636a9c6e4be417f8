/**
 * The on-device intent profile returned by `intent()`: the purchase head of the model on the live state,
 * and weights over the categories and brands of the shopper's recent interactions (stronger actions and
 * newer events weigh more). Computed in the worker for the page that asks; nothing is sent anywhere.
 */
import type { IntentProfile, EventType } from '../../../types.js';
import type { HistoryEntry } from '../rerank/explain.js';

const STRENGTH: Partial<Record<EventType, number>> = {
  purchase: 5, add_to_cart: 4, begin_checkout: 4, add_to_wishlist: 3, select_item: 2, view_item: 1, remove_from_cart: -1,
};
/** Each older event counts this much less than the next (half-life ≈ 14 events). */
const DECAY = 0.95;
const TOP = 5;
const RECENT = 10;

function top(weights: Map<string, number>): { id: string; weight: number }[] {
  let sum = 0;
  for (const w of weights.values()) if (w > 0) sum += w;
  if (sum <= 0) return [];
  return [...weights.entries()]
    .filter(([, w]) => w > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([id, w]) => ({ id, weight: Math.round((w / sum) * 1000) / 1000 }));
}

/** Builds the profile from the recent history (oldest first) and the model's purchase probability. */
export function buildProfile(history: readonly HistoryEntry[], purchase: number | null): IntentProfile {
  const cats = new Map<string, number>();
  const brands = new Map<string, number>();
  const recent: string[] = [];
  let age = 0;
  for (let i = history.length - 1; i >= 0; i--, age++) {
    const h = history[i] as HistoryEntry;
    const w = (STRENGTH[h.type] ?? 0) * DECAY ** age;
    if (h.category !== undefined) cats.set(h.category, (cats.get(h.category) ?? 0) + w);
    if (h.brand !== undefined) brands.set(h.brand, (brands.get(h.brand) ?? 0) + w);
    if ((STRENGTH[h.type] ?? 0) > 0 && recent.length < RECENT && !recent.includes(h.id)) recent.push(h.id);
  }
  return { purchaseIntent: purchase, categories: top(cats), brands: top(brands), recent };
}
