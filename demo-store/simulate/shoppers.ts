/**
 * Scripted shoppers with a hidden intent, from real Amazon Beauty sequences the demo model never saw: the
 * users after the first TRAIN_USERS lines of Beauty.txt (the model trains on those). Each shopper replays
 * the end of their real sequence (up to `maxHistory` items) and then wants their real next item: the last
 * item of the sequence (the target of the usual leave-one-out protocol).
 */
import { readFileSync } from 'node:fs';
import type { CatalogItem } from '../src/catalog/build.js';
import { rng } from './stats.js';

export interface Shopper {
  /** Line number in Beauty.txt (1-based) and the data's user id. */
  line: number;
  user: string;
  /** Items replayed in the store, oldest first. */
  history: string[];
  /** The hidden intent: the real next item. */
  target: string;
}

export interface ShopperOptions {
  beautyFile: string;
  /** Lines of Beauty.txt the model was trained on (skipped). */
  trainUsers: number;
  count: number;
  maxHistory: number;
  seed: number;
  /** Only shoppers whose items are all in the catalog. */
  known: (id: string) => boolean;
}

/** `count` held-out shoppers, drawn without replacement by a seeded shuffle (the same seed, the same shoppers). */
export function heldOutShoppers(o: ShopperOptions): Shopper[] {
  const lines = readFileSync(o.beautyFile, 'utf8').split('\n');
  const pool: Shopper[] = [];
  for (let i = o.trainUsers; i < lines.length; i++) {
    const [user, ...items] = (lines[i] ?? '').trim().split(/\s+/);
    if (!user || items.length < 3 || !items.every(o.known)) continue;
    const target = items[items.length - 1] as string;
    pool.push({ line: i + 1, user, history: items.slice(Math.max(0, items.length - 1 - o.maxHistory), -1), target });
  }
  const next = rng(o.seed);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [pool[i], pool[j]] = [pool[j] as Shopper, pool[i] as Shopper];
  }
  return pool.slice(0, o.count);
}

/** The listings a shopper opens after browsing, and the hash route of each (as the store names its lists). */
export function surfaces(target: CatalogItem): { surface: 'home' | 'category' | 'search'; hash: string; listId: string }[] {
  const leafName = target.categoryPath[target.categoryPath.length - 1] ?? target.category;
  return [
    { surface: 'home', hash: '#/', listId: 'home_popular' },
    { surface: 'category', hash: `#/category/${encodeURIComponent(target.category)}`, listId: `category_${target.category}` },
    // The shopper types the kind of product they want (the target's leaf category name).
    { surface: 'search', hash: `#/search/${encodeURIComponent(leafName.toLowerCase())}`, listId: 'search_results' },
  ];
}
