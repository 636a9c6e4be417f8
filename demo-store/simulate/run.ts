/**
 * The shopper simulation: for each held-out shopper, erase, replay their real history in the store, open
 * three listings (home carousel, category page, search), read the shop's and Perch's order of each, and let
 * the click model decide on each order with the same random draws. Returns per-listing records.
 */
import type { Page } from 'playwright';
import type { CatalogItem } from '../src/catalog/build.ts';
import { decide, expected, type Decision } from './click-model.ts';
import { browse, nextShopper, readListing, type Listing } from './session.ts';
import { surfaces, type Shopper } from './shoppers.ts';

export interface Impression extends Listing {
  surface: string;
  decision: { default: Decision; perch: Decision };
  expected: { default: { click: number; atc: number }; perch: { click: number; atc: number } };
}

export interface ShopperRun { shopper: Shopper; impressions: Impression[]; ms: number }

/** Runs every shopper in `page` (already on the store, see `openStore`), one after the other. */
export async function simulate(page: Page, shoppers: readonly Shopper[], catalog: Map<string, CatalogItem>, seed: number,
  onShopper?: (done: number, run: ShopperRun) => void): Promise<ShopperRun[]> {
  const get = (id: string) => catalog.get(id);
  const runs: ShopperRun[] = [];
  for (const s of shoppers) {
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
    const run = { shopper: s, impressions, ms: performance.now() - t0 };
    runs.push(run);
    onShopper?.(runs.length, run);
  }
  return runs;
}
