/**
 * The simulated shopper's decision on one listing: a cascade click model with position bias (Craswell et
 * al., WSDM 2008; examination probabilities as in the position-based model of Richardson et al., 2007).
 * The shopper scans positions 1..5; position p is examined with probability EXAMINE[p]; an examined item is
 * clicked with the probability its match with the hidden intent gives (ATTRACT); the first click ends the
 * scan. A clicked item goes to the cart when it is the real next item, or with probability ATC_SIMILAR
 * when it shares brand and leaf category with it. Random draws are tied to the shopper, the surface, the
 * position (examination) and the item (click, cart), never to the arm: both orders face the same shopper.
 */
import { hash32 } from '../src/catalog/names.js';
import type { CatalogItem } from '../src/catalog/build.js';

export const TOP_K = 5;
/** Probability that position p (0-based) is looked at. */
export const EXAMINE = [1, 0.85, 0.7, 0.6, 0.5] as const;
export type Match = 'target' | 'brand+leaf' | 'leaf' | 'brand' | 'department' | 'none';
/** Probability of a click on an examined item, by how it matches the hidden intent (the real next item). */
export const ATTRACT: Record<Match, number> = { target: 0.9, 'brand+leaf': 0.35, leaf: 0.2, brand: 0.15, department: 0.03, none: 0.01 };
/** Add-to-cart probability of a clicked item that is not the real next item but shares its brand and leaf. */
export const ATC_SIMILAR = 0.3;

const leaf = (c: CatalogItem): string => c.categoryPath.join('/');

/** How `item` matches the hidden intent `target`. */
export function match(item: CatalogItem | undefined, target: CatalogItem): Match {
  if (!item) return 'none';
  if (item.id === target.id) return 'target';
  const sameBrand = item.brand !== null && item.brand === target.brand;
  const sameLeaf = leaf(item) === leaf(target);
  if (sameBrand && sameLeaf) return 'brand+leaf';
  if (sameLeaf) return 'leaf';
  if (sameBrand) return 'brand';
  return item.category === target.category ? 'department' : 'none';
}

/** A uniform draw in [0, 1) from a key: deterministic, the same for both arms. */
export function draw(...key: (string | number)[]): number {
  return hash32(key.join('\u0000')) / 2 ** 32;
}

export interface Decision { position: number | null; item: string | null; match: Match | null; addToCart: boolean }

/** The shopper's decision on `order` (item ids, shown order) for one surface. */
export function decide(order: readonly string[], target: CatalogItem, get: (id: string) => CatalogItem | undefined, key: string): Decision {
  for (let p = 0; p < Math.min(TOP_K, order.length); p++) {
    if (draw(key, 'exam', p) >= (EXAMINE[p] as number)) continue;
    const id = order[p] as string;
    const m = match(get(id), target);
    if (draw(key, 'click', id) >= ATTRACT[m]) continue;
    const addToCart = m === 'target' || (m === 'brand+leaf' && draw(key, 'cart', id) < ATC_SIMILAR);
    return { position: p + 1, item: id, match: m, addToCart };
  }
  return { position: null, item: null, match: null, addToCart: false };
}

/** Expected click and add-to-cart probabilities of `order` under the same model (no sampling). */
export function expected(order: readonly string[], target: CatalogItem, get: (id: string) => CatalogItem | undefined): { click: number; atc: number } {
  let none = 1;
  let click = 0;
  let atc = 0;
  for (let p = 0; p < Math.min(TOP_K, order.length); p++) {
    const m = match(get(order[p] as string), target);
    const here = none * (EXAMINE[p] as number) * ATTRACT[m];
    click += here;
    atc += here * (m === 'target' ? 1 : m === 'brand+leaf' ? ATC_SIMILAR : 0);
    none -= here;
  }
  return { click, atc };
}
