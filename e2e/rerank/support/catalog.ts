// Real items for the reranking tests, chosen from the Beauty slice the small model was trained on: one
// "category" (an anonymised Beauty attribute shared by a few hundred items) and items without it.
// Shop items carry that attribute id as `item_category`, so the explanations can match categories.
import { beautyAttrs, beautySlice } from './model.js';

export interface ShopItemLite { item_id: string; item_category: string }

export interface Catalog {
  category: string;
  /** Items of the category, most interacted first. */
  inCategory: ShopItemLite[];
  /** Items without that attribute, most interacted first. */
  others: ShopItemLite[];
}

/** Picks the category and its items deterministically from the real data. */
export function buildCatalog(): Catalog {
  const attrs = beautyAttrs();
  const count = new Map<string, number>();
  for (const line of beautySlice().split('\n')) {
    const [, ...items] = line.trim().split(/\s+/);
    for (const i of items) if (i) count.set(i, (count.get(i) ?? 0) + 1);
  }
  const items = [...count.keys()].filter((i) => (attrs[i]?.length ?? 0) > 0).sort((a, b) => (count.get(b) as number) - (count.get(a) as number) || Number(a) - Number(b));
  const attrFreq = new Map<number, number>();
  for (const i of items) for (const a of attrs[i] ?? []) attrFreq.set(a, (attrFreq.get(a) ?? 0) + 1);
  // A specific attribute (a few hundred items of the slice), not the near-universal top-level one.
  const [cat] = [...attrFreq.entries()].filter(([, n]) => n >= 150 && n <= 500).sort((a, b) => b[1] - a[1] || a[0] - b[0])[0] ?? [];
  if (cat === undefined) throw new Error('no attribute of the right frequency in the slice');
  const category = String(cat);
  const label = (i: string): ShopItemLite => ({ item_id: i, item_category: (attrs[i] ?? []).includes(cat) ? category : String((attrs[i] ?? [])[0]) });
  return {
    category,
    inCategory: items.filter((i) => (attrs[i] ?? []).includes(cat)).map(label),
    others: items.filter((i) => !(attrs[i] ?? []).includes(cat) && !(attrs[i] ?? []).some((a) => (attrFreq.get(a) ?? 0) > 1500)).map(label),
  };
}
