/**
 * A tiny synthetic shop for fast tests: 30 items in a cycle, every user walks it (item k → k+1) from a random
 * start, so the next item is predictable from the current one. Raw item ids, user keys and timestamps are long
 * distinctive values, so a byte scan for them cannot match an unrelated payload byte pattern by chance.
 */
import { buildDataset, type RawEvent } from '@perch/model/data';
import type { Dataset } from '@perch/model/data';
import { popularity } from '@perch/model/eval';
import { Rng } from '@perch/model/rng';
import { dimsFor, DEFAULTS, initWeights } from '@perch/model/plain';
import { makeLayout } from '@perch/learn/update';
import { SHARED_DENSE_WEIGHTS, weightShapes } from '@perch/model/spec';
import { LocalTrainer } from '@perch/learn/client';
import type { LocalRecipe } from '@perch/learn/client';
import type { FederatedContext } from '../../src/simulate/federated.js';
import { makePopulation } from '../../src/simulate/population.js';

export const ITEMS = 30;
export const rawItemId = (k: number): number => 1_234_500_000 + 7919 * k;
export const userKey = (u: number): string => `shopper-${(977_000 + u * 31).toString(36)}-key`;
export const timeOf = (u: number, t: number): number => 1_700_000_000 + u * 86_400 + t * 613;

export function syntheticDataset(users = 120, seed = 3): Dataset {
  const rng = new Rng(seed);
  const groups = new Map<string, RawEvent[]>();
  for (let u = 0; u < users; u++) {
    const start = rng.int(ITEMS), len = 6 + rng.int(5);
    groups.set(userKey(u), Array.from({ length: len }, (_, t) => ({ item: String(rawItemId((start + t) % ITEMS)), kind: 0, time: timeOf(u, t) })));
  }
  return buildDataset('synthetic', groups, {}, false);
}

/** The loss of the tests: full softmax (negatives ≥ items) and no dropout, so runs are quick and stable. */
export const LOSS = { ...DEFAULTS, dim: 16, hidden: 16, negatives: 1000, dropoutIn: 0, dropoutOut: 0 };
/** The devices' recipe of the tests, likewise. */
export const RECIPE: LocalRecipe = { epochs: 2, learningRate: 0.5, negatives: 1000, virtualBatch: 0, dropout: 0, frozen: [] };

/** Context, a random start (item embeddings random and frozen) and a client trainer wrapping `global`. */
export function setup(recipe: LocalRecipe = RECIPE) {
  const ds = syntheticDataset();
  const pop = makePopulation(ds, { pretrainFraction: 0.2, evalUsers: 0, seed: 1 });
  const dims = dimsFor(ds, LOSS);
  const global = initWeights(dims, new Rng(5), 1);
  const attrs = { attrOffsets: ds.attrOffsets, attrIds: ds.attrIds };
  const layout = makeLayout(weightShapes(dims), SHARED_DENSE_WEIGHTS);
  const ctx: FederatedContext = { dims, attrs, layout, maxLen: 50, clients: pop.clients, test: pop.test };
  const trainer = new LocalTrainer(dims, global, attrs, layout, { recipe, counts: popularity(pop.pretrain.train, dims.numItems), seed: 7, gradClip: 5, typedEvents: false });
  return { ds, pop, dims, global, attrs, layout, ctx, trainer };
}
