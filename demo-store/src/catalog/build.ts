/**
 * Builds the demo catalog from ../shared/data/amazon-beauty at dev/build time (Node side of the Vite plugin).
 * Item ids, attribute ids and popularity are real; names, prices and pictures are generated.
 */
import { readFileSync } from 'node:fs';
import { brandName, categoryName, hash32, productName } from './names.js';

export interface CatalogItem {
  id: string;
  name: string;
  brand: string | null;
  brandAttr: number | null;
  category: string;
  categoryPath: string[];
  attrs: number[];
  price: number;
  popularity: number;
  hue: number;
}

export function buildCatalog(attrsFile: string, seqFile: string): CatalogItem[] {
  const raw = JSON.parse(readFileSync(attrsFile, 'utf8')) as Record<string, number[]>;
  const later = new Set<number>();
  for (const attrs of Object.values(raw)) for (const a of attrs.slice(1)) later.add(a);
  const isBrand = (a: number) => !later.has(a);
  const rootCount = new Map<number, number>();
  for (const attrs of Object.values(raw)) {
    const root = attrs.find((a) => !isBrand(a));
    if (root !== undefined) rootCount.set(root, (rootCount.get(root) ?? 0) + 1);
  }
  const roots = [...rootCount.entries()].sort((a, b) => b[1] - a[1]).map(([a]) => a);

  const pop = new Map<string, number>();
  for (const line of readFileSync(seqFile, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/).slice(1);
    for (const it of parts) if (it) pop.set(it, (pop.get(it) ?? 0) + 1);
  }

  return Object.entries(raw).map(([id, attrs]) => {
    const brandAttr = attrs[0] !== undefined && isBrand(attrs[0]) ? attrs[0] : null;
    const path = attrs.filter((a) => !isBrand(a));
    const categoryPath = categoryName(path, roots);
    const brand = brandAttr === null ? null : brandName(brandAttr);
    const h = hash32(`price:${id}`);
    return {
      id,
      name: productName(id, brand, categoryPath[categoryPath.length - 1] ?? 'Essential'),
      brand,
      brandAttr,
      category: categoryPath[0] ?? 'Beauty',
      categoryPath,
      attrs,
      price: Math.round((4 + (h % 6000) / 100) * 100) / 100,
      popularity: pop.get(id) ?? 0,
      hue: hash32(`hue:${id}`) % 360,
    };
  });
}
