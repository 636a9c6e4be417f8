/**
 * `pnpm bench client`: local training time for one client round with the plain implementation in Node: local
 * epochs on one Beauty user's own sequence from the global model, then the client pipeline (clip, noise,
 * int8 stochastic quantisation, wire encoding). Median over federated users. One JSON line per figure.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSequenceFile } from '@perch/model/data';
import { popularity } from '@perch/model/eval';
import { makeUpdate, LocalTrainer } from '@perch/learn/client';
import { Rng } from '@perch/model/rng';
import { DEFAULTS, dimsFor, initWeights } from '@perch/model/plain';
import { makeLayout } from '@perch/learn/update';
import { SHARED_DENSE_WEIGHTS, weightShapes } from '@perch/model/spec';
import { FULL } from '../src/simulate/options.js';
import { recipeOf } from '../src/simulate/simulate.js';
import { makePopulation } from '../src/simulate/population.js';

const dir = fileURLToPath(new URL('../../../../shared/data/amazon-beauty/', import.meta.url));
const ds = parseSequenceFile(readFileSync(`${dir}Beauty.txt`, 'utf8'), 'Beauty.txt', readFileSync(`${dir}Beauty_item2attributes.json`, 'utf8'));
const pop = makePopulation(ds, { pretrainFraction: FULL.pretrainFraction, evalUsers: 1, seed: 1 });
const dims = dimsFor(ds, DEFAULTS);
const w = initWeights(dims, new Rng(1));
const layout = makeLayout(weightShapes(dims), SHARED_DENSE_WEIGHTS);
const local = new LocalTrainer(dims, w, { attrOffsets: ds.attrOffsets, attrIds: ds.attrIds }, layout, { recipe: recipeOf(FULL), counts: popularity(pop.pretrain.train, dims.numItems), seed: 1, gradClip: 5, typedEvents: ds.typedEvents });
const rng = new Rng(1);
const round = (i: number): { train: number; pipeline: number } => {
  const t0 = performance.now();
  const { delta, positions } = local.train([pop.clients[i % pop.clients.length]!]);
  const t1 = performance.now();
  makeUpdate(delta, layout, { roundId: 1, baseVersion: 1, clipBound: 1, noiseMultiplier: 1, examples: positions, maxClientWeight: 1, rng });
  return { train: t1 - t0, pipeline: performance.now() - t1 };
};
for (let i = 0; i < 50; i++) round(i); // warm-up (JIT)
const runs = Array.from({ length: 400 }, (_, i) => round(1000 + i));
const median = (a: number[]): number => a.sort((x, y) => x - y)[a.length >> 1]!;
const emit = (metric: string, v: number): void => console.log(JSON.stringify({ bench: 'client', metric, value: Number(v.toFixed(3)), unit: 'ms', backend: 'plain' }));
emit('local_round_ms', median(runs.map((r) => r.train + r.pipeline)));
emit('local_train_ms', median(runs.map((r) => r.train)));
emit('update_pipeline_ms', median(runs.map((r) => r.pipeline)));
