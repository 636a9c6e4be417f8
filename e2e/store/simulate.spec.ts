// The shopper simulator (`pnpm demo:simulate`), quick: a handful of held-out shoppers replay their real
// history in the built store, then the click model decides on the shop's and Perch's order of the same
// listings. Asserts what must hold whatever the lift: same shoppers and lists in both arms, Perch's lists
// really reranked by the model, decisions inside the top 5, rates and intervals well-formed.
import { join } from 'node:path';
import { buildCatalog } from '../../demo-store/src/catalog/build.js';
import { ATTRACT, EXAMINE, decide, expected, match } from '../../demo-store/simulate/click-model.js';
import { simulate } from '../../demo-store/simulate/run.js';
import { openStore } from '../../demo-store/simulate/session.js';
import { heldOutShoppers } from '../../demo-store/simulate/shoppers.js';
import { summarise } from '../../demo-store/simulate/summary.js';
import { expect, stored, test } from './fixtures.js';

const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'amazon-beauty');
const TRAIN_USERS = 4000;
const catalog = new Map(buildCatalog(join(DATA, 'Beauty_item2attributes.json'), join(DATA, 'Beauty.txt')).map((c) => [c.id, c]));
const get = (id: string) => catalog.get(id);

test('click model: intent matches, position bias, the same draws for both orders', () => {
  const shopper = heldOutShoppers({ beautyFile: join(DATA, 'Beauty.txt'), trainUsers: TRAIN_USERS, count: 1, maxHistory: 8, seed: 3, known: (id) => catalog.has(id) })[0]!;
  const target = get(shopper.target)!;
  const others = [...catalog.values()].filter((c) => match(c, target) === 'none').slice(0, 5).map((c) => c.id);
  expect(match(target, target)).toBe('target');
  // The real next item first: clicked with probability EXAMINE[0] × ATTRACT.target; nothing relevant: almost never.
  expect(expected([target.id], target, get).click).toBeCloseTo(EXAMINE[0] * ATTRACT.target, 10);
  // Further items only add what is left after a miss: 1 − (1 − 0.9)(1 − 0.85 × 0.01)….
  const rest = others.slice(1).reduce((miss, _, p) => miss * (1 - (EXAMINE[p + 1] as number) * ATTRACT.none), 1 - EXAMINE[0] * ATTRACT.target);
  expect(expected([target.id, ...others.slice(1)], target, get).click).toBeCloseTo(1 - rest, 10);
  expect(expected(others, target, get).click).toBeLessThan(0.05);
  // Lower in the list, less likely (position bias).
  expect(expected([...others.slice(0, 4), target.id], target, get).click).toBeLessThan(expected([target.id, ...others.slice(0, 4)], target, get).click);
  // Deterministic, and an arm-free key: the same order gives the same decision.
  const order = [...others.slice(0, 2), target.id, ...others.slice(2, 4)];
  expect(decide(order, target, get, 'k:1')).toEqual(decide(order, target, get, 'k:1'));
  const d = decide(order, target, get, 'k:1');
  if (d.position !== null) expect(order[d.position - 1]).toBe(d.item);
});

test('quick simulation: same shoppers in both arms, Perch\'s lists reranked, rates in [0, 1]', async ({ page, store, errors }) => {
  test.setTimeout(300_000);
  const shoppers = heldOutShoppers({ beautyFile: join(DATA, 'Beauty.txt'), trainUsers: TRAIN_USERS, count: 4, maxHistory: 4, seed: 7, known: (id) => catalog.has(id) });
  expect(shoppers).toHaveLength(4);
  // Held out: none of them is among the users the demo model trains on.
  for (const s of shoppers) expect(s.line).toBeGreaterThan(TRAIN_USERS);
  await openStore(page, store.origin);
  const runs = await simulate(page, shoppers, catalog, 7);

  expect(runs.map((r) => r.shopper.line)).toEqual(shoppers.map((s) => s.line));
  let reordered = 0;
  for (const r of runs) {
    expect(r.impressions.map((i) => i.surface)).toEqual(['home', 'category', 'search']);
    for (const i of r.impressions) {
      // Both arms show the same items (one list, two orders), and Perch's is the model's order.
      expect(i.default.length).toBeGreaterThan(0);
      expect([...i.perch].sort()).toEqual([...i.default].sort());
      expect(i.personalized, `${i.listId}: ${i.reason}`).toBe(true);
      if (i.perch.join() !== i.default.join()) reordered++;
      for (const [arm, order] of [['default', i.default], ['perch', i.perch]] as const) {
        const d = i.decision[arm];
        if (d.position === null) expect(d.addToCart).toBe(false);
        else {
          expect(d.position).toBeGreaterThanOrEqual(1);
          expect(d.position).toBeLessThanOrEqual(5);
          expect(order[d.position - 1]).toBe(d.item);
        }
      }
    }
  }
  expect(reordered).toBeGreaterThan(0);
  // The last shopper's history went through the store's own tracking (product views and add-to-carts).
  const events = await stored(page);
  const last = shoppers[shoppers.length - 1]!;
  for (const type of ['view_item', 'add_to_cart']) {
    expect(events.filter((e) => e.type === type).map((e) => e.items[0]?.id)).toEqual(expect.arrayContaining(last.history));
  }

  const s = summarise(runs, 7);
  expect(s).toMatchObject({ shoppers: 4, impressions: 12, personalized: 1 });
  for (const arm of [s.default, s.perch]) {
    for (const k of ['ctr@5', 'atc@5', 'expected_ctr@5', 'expected_atc@5'] as const) {
      expect(arm[k]).toBeGreaterThanOrEqual(0);
      expect(arm[k]).toBeLessThanOrEqual(1);
    }
    expect(arm['atc@5']).toBeLessThanOrEqual(arm['ctr@5']);
    expect(arm['ctr@5_ci'][0]).toBeLessThanOrEqual(arm['ctr@5']);
    expect(arm['ctr@5_ci'][1]).toBeGreaterThanOrEqual(arm['ctr@5']);
  }
  expect(s.lift['ctr@5']).toBeCloseTo(s.perch['ctr@5'] - s.default['ctr@5'], 4);
  expect(s.lift['ctr@5_ci'][0]).toBeLessThanOrEqual(s.lift['ctr@5_ci'][1]);
  expect(errors).toEqual([]);
});
