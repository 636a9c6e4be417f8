// Catalog access and the cart, on the shop's side (the shop's own state, not Perch's).
import type { CatalogItem } from './catalog/build.js';

export type { CatalogItem };

let catalog: CatalogItem[] = [];
let byId = new Map<string, CatalogItem>();
// Built once at load (12k items): search text per item, attribute id → readable name, category counts.
let haystack: string[] = [];
const names = new Map<string, string>();
let cats: string[] = [];

export async function loadCatalog(): Promise<CatalogItem[]> {
  if (catalog.length) return catalog;
  const res = await fetch('/catalog.json');
  catalog = (await res.json()) as CatalogItem[];
  byId = new Map(catalog.map((c) => [c.id, c]));
  haystack = catalog.map((c) => `${c.name} ${c.brand ?? ''} ${c.categoryPath.join(' ')}`.toLowerCase());
  const counts = new Map<string, number>();
  for (const c of catalog) {
    counts.set(c.category, (counts.get(c.category) ?? 0) + 1);
    const path = c.brandAttr === null ? c.attrs : c.attrs.slice(1);
    path.forEach((a, i) => names.set(String(a), c.categoryPath[i] ?? String(a)));
    if (c.brandAttr !== null && c.brand) names.set(String(c.brandAttr), c.brand);
    names.set(c.category, c.category);
    if (c.brand) names.set(c.brand, c.brand);
  }
  cats = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  return catalog;
}

/** Readable name of a category/brand attribute id (or of a name the SDK echoes back). */
export const attrName = (id: string): string | undefined => names.get(id);

export const getItem = (id: string): CatalogItem | undefined => byId.get(id);
export const allItems = (): CatalogItem[] => catalog;

export function popular(items: CatalogItem[], n: number): CatalogItem[] {
  return [...items].sort((a, b) => b.popularity - a.popularity || a.id.localeCompare(b.id)).slice(0, n);
}

export const categories = (): string[] => cats;

/** Plain keyword search over generated names, brands and category paths; ranked by matches then popularity. */
export function search(query: string, n = 48): CatalogItem[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8);
  if (!terms.length) return [];
  const scored: [CatalogItem, number][] = [];
  catalog.forEach((c, i) => {
    const hay = haystack[i] ?? '';
    let s = 0;
    for (const t of terms) if (hay.includes(t)) s++;
    if (s) scored.push([c, s]);
  });
  scored.sort((a, b) => b[1] - a[1] || b[0].popularity - a[0].popularity);
  return scored.slice(0, n).map(([c]) => c);
}

/** Items sharing the leaf category (the data has no co-view graph on the shop's side). */
export function related(item: CatalogItem, n = 12): CatalogItem[] {
  const leaf = item.categoryPath.join('/');
  const same = catalog.filter((c) => c.id !== item.id && c.categoryPath.join('/') === leaf);
  // Thin leaves are topped up from the department so the carousel is never nearly empty.
  const more = same.length >= n ? [] : catalog.filter((c) => c.id !== item.id && c.category === item.category && !same.includes(c));
  return [...popular(same, n), ...popular(more, n - Math.min(n, same.length))].slice(0, n);
}

const CART_KEY = 'demo-cart';
export function cart(): Record<string, number> {
  try {
    return JSON.parse(localStorage.getItem(CART_KEY) ?? '{}') as Record<string, number>;
  } catch {
    return {};
  }
}
export function setCart(c: Record<string, number>): void {
  localStorage.setItem(CART_KEY, JSON.stringify(c));
  const n = Object.values(c).reduce((a, b) => a + b, 0);
  const el = document.getElementById('cart-count');
  if (el) el.textContent = String(n);
}

/** GA4 item shape for Perch: id, position, list, price, category, brand (the SDK minimises it further). */
export function ga4(c: CatalogItem, index: number, listId: string) {
  return { item_id: c.id, item_name: c.name, index, item_list_id: listId, price: c.price, item_category: c.category, item_brand: c.brand ?? undefined };
}
