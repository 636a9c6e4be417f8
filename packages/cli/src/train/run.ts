import { writeFileSync } from 'node:fs';
import { leaveOneOut } from '@perch/model/data';
import { evaluate, type Scorer, ItemKnnScorer, MarkovScorer, PopScorer, SknnScorer } from '@perch/model/eval';
import type { Metrics } from '@perch/model/eval';
import { ModelScorer, DEFAULTS, dimsFor, localEngine, train, type TrainOptions, PlainModel } from '@perch/model/plain';
import { availableParallelism } from 'node:os';
import { parallelEngine } from './parallel.js';
import { intFlag, setFlag, type Args } from './options.js';
import { trainingPlot } from './plot.js';
import { Progress } from '../progress.js';
import { UsageError } from '../args.js';
import { readInput } from './read.js';
import { buildInt8, loadWeights, modelBytes, writeDir } from './export-model.js';

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const round = (m: Metrics): Metrics => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v.toFixed(5))]));

/** Runs `eval` or `train`: read, split, baselines, train, test, report; returns the process exit code. */
export async function runCommand(args: Args): Promise<number> {
  const ds = await readInput(args, log);
  const data = ds.name;
  const st = ds.stats;
  log(`read ${ds.name}: ${ds.sequences.length} sequences, ${st.events} events, ${ds.vocab.length - 1} items, ${ds.attrVocab.length - 1} attributes, ${ds.categories.length - 1} categories`);
  log(`  skipped: ${st.malformed} malformed lines, ${st.nonFinite} non-finite values, ${st.duplicateEvents} duplicate events, ${st.shortSequences} sequences with < 2 events; ${st.itemsWithoutAttrs} items without attributes`);
  for (const p of st.problems) log(`  ${p}`);
  const split = leaveOneOut(ds.sequences);
  if (split.test.length === 0) throw new UsageError(`${data}: no sequence has the 3 events leave-one-out needs`);
  const V = ds.vocab.length - 1;

  const opts: TrainOptions = { ...DEFAULTS, ...setFlag(args, DEFAULTS) };
  const seed = intFlag(args, 'seed', 0); if (seed !== undefined) opts.seed = seed;
  const epochs = intFlag(args, 'epochs', 1); if (epochs !== undefined) opts.maxEpochs = epochs;
  const maxS = intFlag(args, 'max-seconds', 1); if (maxS !== undefined) opts.maxSeconds = maxS;

  const results: Record<string, Metrics> = {};
  const baselines: Array<() => Scorer> = [() => new PopScorer(split.train, V), () => new MarkovScorer(split.train, V), () => new ItemKnnScorer(split.train, V), () => new SknnScorer(split.train, V)];
  for (const make of baselines) {
    const s = make();
    const bar = new Progress(`baseline ${s.name}`);
    results[s.name] = evaluate(s, split.test, V, 64, (d) => bar.update(d, split.test.length));
    bar.done(`HR@20 ${results[s.name]!['HR@20']!.toFixed(4)} NDCG@20 ${results[s.name]!['NDCG@20']!.toFixed(4)}`);
  }

  const threads = intFlag(args, 'threads', 1) ?? Math.min(4, availableParallelism());
  log(`training on ${threads} thread(s): ${JSON.stringify(opts)}`);
  const bar = new Progress('train');
  const res = await train(ds, split, opts, {
    onBatch: (e, done, total, loss) => bar.update(done, total, `epoch ${e} loss ${loss.toFixed(4)}`),
    onEpoch: (l) => bar.done(`epoch ${l.epoch}: loss ${l.loss.toFixed(4)}, val HR@20 ${l.val['HR@20']!.toFixed(4)} NDCG@20 ${l.val['NDCG@20']!.toFixed(4)} (${l.seconds.toFixed(0)} s, lr ${l.lr})`),
  }, threads > 1 ? (c) => parallelEngine(c, threads) : localEngine);
  log(`best epoch ${res.bestEpoch} of ${res.history.length}; ${res.trainSeconds.toFixed(0)} s, ${res.eventsPerSecond.toFixed(0)} events/s`);
  const tbar = new Progress('test');
  const model = evaluate(new ModelScorer(res.model, opts.maxLen), split.test, V, 64, (d) => tbar.update(d, split.test.length));
  tbar.done();

  const dims = dimsFor(ds, opts);
  const plot = args.flags.get('plot');
  if (plot) { writeFileSync(plot, trainingPlot(ds.name, res.history)); log(`wrote ${plot}`); }
  const evaluation: Record<string, unknown> = { dataset: ds.name, protocol: 'leave-one-out, full ranking, history excluded, pessimistic ties', test: round(model), baselines: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, round(v)])) };
  const out = args.flags.get('out');
  let files = await buildInt8(dims, res.model.w, ds, split.train, opts, evaluation);
  if (out) {
    // the int8 model is what ships: measure its accuracy too and record it in the manifest
    const q = new PlainModel(dims, await loadWeights(files), res.model.attrs);
    const qbar = new Progress('test int8');
    const int8 = evaluate(new ModelScorer(q, opts.maxLen), split.test, V, 64, (d) => qbar.update(d, split.test.length));
    qbar.done(`HR@20 ${int8['HR@20']!.toFixed(4)} NDCG@20 ${int8['NDCG@20']!.toFixed(4)} (float32: ${model['HR@20']!.toFixed(4)} / ${model['NDCG@20']!.toFixed(4)})`);
    evaluation.testInt8 = round(int8);
    files = await buildInt8(dims, res.model.w, ds, split.train, opts, evaluation);
    const bytes = await writeDir(out, files);
    log(`wrote ${out}: ${[...files.keys()].join(', ')} (${bytes} bytes)`);
  }

  const keys = ['HR@5', 'HR@10', 'HR@20', 'NDCG@5', 'NDCG@10', 'NDCG@20', 'MRR@20'];
  const rows: Array<[string, Metrics]> = [['model (GRU)', model], ...Object.entries(results)];
  console.log(['name'.padEnd(12), ...keys.map((k) => k.padStart(8))].join(' '));
  for (const [n, m] of rows) console.log([n.padEnd(12), ...keys.map((k) => m[k]!.toFixed(4).padStart(8))].join(' '));
  const pick = (m: Metrics): Metrics => round(Object.fromEntries(['HR@10', 'HR@20', 'NDCG@10', 'NDCG@20', 'MRR@20'].map((k) => [k, m[k]!])));
  console.log(JSON.stringify({
    dataset: ds.name, model: pick(model), baselines: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, pick(v)])),
    train_seconds: Number(res.trainSeconds.toFixed(1)), events_per_second: Math.round(res.eventsPerSecond), model_bytes: modelBytes(files),
    epochs: res.history.length, best_epoch: res.bestEpoch, seed: opts.seed, threads,
  }));
  return 0;
}
