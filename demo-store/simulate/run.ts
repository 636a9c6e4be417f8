/**
 * The shopper simulation: for each held-out shopper, erase, replay their real history in the store, open
 * three listings (home carousel, category page, search), read the shop's and Perch's order of each, and let
 * the click model decide on each order with the same random draws. Returns per-listing records.
 */
import type { Page } from 'playwright';
import type { CatalogItem } from '../src/catalog/build.js';
import { decide, expected, type Decision } from './click-model.js';
import { browse, nextShopper, readListing, type Listing } from './session.js';
import { surfaces, type Shopper } from './shoppers.js';

export interface Impression extends Listing {
  surface: string;
  decision: { default: Decision; perch: Decision };
  expected: { default: { click: number; atc: number }; perch: { click: number; atc: number } };
}

export interface ShopperRun { shopper: Shopper; impressions: Impression[]; ms: number }

/** One shopper, start to finish, in `page` (already on the store, see `openStore`). */
async function runShopper(page: Page, s: Shopper, catalog: Map<string, CatalogItem>, seed: number): Promise<ShopperRun> {
  const get = (id: string) => catalog.get(id);
  const t0 = performance.now();
  const target = get(s.target);
  if (!target) throw new Error(`target ${s.target} is not in the catalog`);
  await nextShopper(page);
  await browse(page, s.history);
  const impressions: Impression[] = [];
  for (const { surface, hash, listId } of surfaces(target)) {
    const l = await readListing(page, hash, listId);
    // The key has no arm in it: both orders meet the same examination and click draws.
    const key = `${seed}:${s.line}:${surface}`;
    impressions.push({
      ...l,
      surface,
      decision: { default: decide(l.default, target, get, key), perch: decide(l.perch, target, get, key) },
      expected: { default: expected(l.default, target, get), perch: expected(l.perch, target, get) },
    });
  }
  return { shopper: s, impressions, ms: performance.now() - t0 };
}

/**
 * Runs every shopper, each page taking the next one when it is free. Pages must not share storage (one
 * browser context each): a shopper's `forget()` would erase another's history. Results keep the shoppers' order.
 */
export async function simulate(pages: Page | readonly Page[], shoppers: readonly Shopper[], catalog: Map<string, CatalogItem>, seed: number,
  onShopper?: (done: number, run: ShopperRun) => void): Promise<ShopperRun[]> {
  const runs: ShopperRun[] = new Array(shoppers.length);
  let next = 0;
  let done = 0;
  await Promise.all((Array.isArray(pages) ? pages : [pages]).map(async (page: Page) => {
    while (next < shoppers.length) {
      const i = next++;
      const run = await runShopper(page, shoppers[i] as Shopper, catalog, seed);
      runs[i] = run;
      onShopper?.(++done, run);
    }
  }));
  return runs;
}
