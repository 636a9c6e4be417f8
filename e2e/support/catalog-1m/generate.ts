// A seeded synthetic catalogue of 1,000,000 products for the catalogue-size bench (issue 29): 5,000 categories and
// 50,000 brands with Zipf-like popularity, each brand selling in one to three categories, log-normal prices per
// category. It is held as columns (typed arrays indexed by item), never as a million objects: an item object is
// built only when asked for (`catalogItem`). Item i is the i-th most popular (rank = index), so "the n most popular
// items" are items 0..n-1. Deterministic for a seed (the repository's `Rng`).
import { Rng } from '@perch/model/rng';

/** Bump when the generated catalogue changes: cached exports built from it are keyed by this. */
export const CATALOG_GENERATOR_VERSION = 1;
export const CATALOG_SEED = 29;
export const CATALOG_ITEMS = 1_000_000;
export const CATALOG_CATEGORIES = 5_000;
export const CATALOG_BRANDS = 50_000;
/** A brand sells in 1..MAX_BRAND_CATEGORIES categories. */
const MAX_BRAND_CATEGORIES = 3;

/** One product as a shop lists it (the fields a rerank candidate carries, plus its price). */
export interface CatalogItem {
  item_id: string;
  item_category: string;
  item_brand: string;
  price: number;
}

export interface SyntheticCatalog {
  size: number;
  seed: number;
  /** Category index of each item (0..CATALOG_CATEGORIES-1). */
  category: Uint16Array;
  /** Brand index of each item (0..CATALOG_BRANDS-1). */
  brand: Uint32Array;
  /** Price of each item in currency units, rounded to cents (stored as float32). */
  price: Float32Array;
}

export const itemIdOf = (i: number): string => `sku-${i}`;
export const categoryNameOf = (c: number): string => `category-${c}`;
export const brandNameOf = (b: number): string => `brand-${b}`;

/**
 * A Zipf (s = 1) rank in 0..n-1 from one uniform draw: the continuous inverse CDF of 1/x on [1, n+1], so rank r
 * is drawn with probability ≈ ln((r+2)/(r+1)) / ln(n+1), close to 1/(r+1) normalised. O(1), no table.
 */
export function zipfRank(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(Math.exp(rng.next() * Math.log(n + 1))) - 1);
}

/** Expected occurrences of item `rank` in a log of `events` events under the catalogue's Zipf popularity. */
export function expectedCount(rank: number, n: number, events: number): number {
  return (events * Math.log((rank + 2) / (rank + 1))) / Math.log(n + 1);
}

export function generateCatalog(seed = CATALOG_SEED, size = CATALOG_ITEMS): SyntheticCatalog {
  const rng = new Rng(seed);
  // Each category has a median price (log-normal around 30) and each brand sells in a few categories, drawn by the
  // categories' popularity, so popular categories hold more brands and more items.
  const catMu = new Float64Array(CATALOG_CATEGORIES);
  for (let c = 0; c < CATALOG_CATEGORIES; c++) catMu[c] = Math.log(30) + 1.1 * rng.normal();
  const brandCats = new Uint16Array(CATALOG_BRANDS * MAX_BRAND_CATEGORIES);
  const brandNCats = new Uint8Array(CATALOG_BRANDS);
  for (let b = 0; b < CATALOG_BRANDS; b++) {
    brandNCats[b] = 1 + rng.int(MAX_BRAND_CATEGORIES);
    for (let k = 0; k < brandNCats[b]!; k++) brandCats[b * MAX_BRAND_CATEGORIES + k] = zipfRank(rng, CATALOG_CATEGORIES);
  }
  const category = new Uint16Array(size), brand = new Uint32Array(size), price = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const b = zipfRank(rng, CATALOG_BRANDS);
    const c = brandCats[b * MAX_BRAND_CATEGORIES + rng.int(brandNCats[b]!)]!;
    brand[i] = b;
    category[i] = c;
    price[i] = Math.max(0.5, Math.round(Math.exp(catMu[c]! + 0.6 * rng.normal()) * 100) / 100);
  }
  return { size, seed, category, brand, price };
}

/** Item i as an object (built on demand). */
export function catalogItem(cat: SyntheticCatalog, i: number): CatalogItem {
  return { item_id: itemIdOf(i), item_category: categoryNameOf(cat.category[i]!), item_brand: brandNameOf(cat.brand[i]!), price: Math.round(cat.price[i]! * 100) / 100 };
}
