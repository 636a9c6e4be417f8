/**
 * Deterministic, readable names for the Amazon Beauty catalog, whose attributes are anonymised integers.
 * The data has no product names or pictures: everything here is generated (and the store says so).
 *
 * Structure found in Beauty_item2attributes.json: when an item has a brand, it is the first attribute and
 * never appears later in any item's list (435 such ids); the remaining ids (202) form a category path whose
 * first element is one of six roots. Roots are named after Amazon Beauty's top-level departments by size;
 * sub-categories and brands get generated names.
 */

const ROOT_NAMES = ['Skin Care', 'Makeup', 'Hair Care', 'Fragrance', 'Tools & Accessories', 'Bath & Body', "Men's Grooming", 'Gift Sets'];
const SUB_WORDS: Record<string, string[]> = {
  'Skin Care': ['Serums', 'Moisturisers', 'Cleansers', 'Toners', 'Masks', 'Eye Care', 'Sun Care', 'Exfoliators', 'Lip Care', 'Night Creams'],
  Makeup: ['Foundation', 'Lipstick', 'Mascara', 'Eyeliner', 'Blush', 'Concealer', 'Eyeshadow', 'Primer', 'Bronzer', 'Nail Polish'],
  'Hair Care': ['Shampoo', 'Conditioner', 'Styling', 'Hair Oils', 'Hair Masks', 'Dry Shampoo', 'Hair Colour', 'Treatments', 'Detanglers', 'Scalp Care'],
  Fragrance: ['Eau de Parfum', 'Eau de Toilette', 'Body Mist', 'Cologne', 'Solid Perfume', 'Gift Sets', 'Rollerballs', 'Fragrance Oils', 'Travel Sprays', 'Candles'],
  'Tools & Accessories': ['Brushes', 'Sponges', 'Tweezers', 'Mirrors', 'Hair Dryers', 'Straighteners', 'Curlers', 'Bags', 'Nail Tools', 'Razors'],
  'Bath & Body': ['Body Wash', 'Body Lotion', 'Bath Salts', 'Scrubs', 'Hand Cream', 'Deodorant', 'Soaps', 'Body Oils', 'Bubble Bath', 'Foot Care'],
};
const ADJECTIVES = ['Radiant', 'Velvet', 'Pure', 'Hydra', 'Silk', 'Glow', 'Botanical', 'Daily', 'Ultra', 'Soft', 'Fresh', 'Calm', 'Bright', 'Rich', 'Clear', 'Matte', 'Dewy', 'Gentle', 'Intense', 'Natural'];
const SYLLABLES = ['lu', 'ma', 've', 'ra', 'no', 'si', 'ka', 'el', 'ta', 'mi', 'or', 'za', 'be', 'lo', 'ni', 'sa', 'de', 'vi', 'ko', 'ri'];

/** 32-bit FNV-1a: stable across runs and platforms. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const pick = <T>(xs: readonly T[], h: number): T => xs[h % xs.length] as T;
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function brandName(attrId: number): string {
  const h = hash32(`brand:${attrId}`);
  const n = 2 + (h % 2);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(SYLLABLES, hash32(`${attrId}:${i}`));
  return cap(s) + (h % 5 === 0 ? ' Labs' : h % 7 === 0 ? ' & Co' : '');
}

export function categoryName(path: number[], roots: number[]): string[] {
  const root = path[0];
  const rootIdx = root === undefined ? -1 : roots.indexOf(root);
  const rootName = rootIdx >= 0 ? (ROOT_NAMES[rootIdx] ?? `Department ${rootIdx + 1}`) : 'Beauty';
  const words = SUB_WORDS[rootName] ?? SUB_WORDS['Skin Care']!;
  return [rootName, ...path.slice(1).map((id) => pick(words, hash32(`cat:${id}`)))];
}

export function productName(itemId: string, brand: string | null, leaf: string): string {
  const h = hash32(`item:${itemId}`);
  const adj = pick(ADJECTIVES, h);
  const size = [30, 50, 75, 100, 150, 200][h % 6];
  return `${brand ? brand + ' ' : ''}${adj} ${leaf.replace(/s$/, '')} ${size} ml`;
}
