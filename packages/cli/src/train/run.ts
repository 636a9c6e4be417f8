import { writeFileSync } from 'node:fs';
import { leaveOneOut, type EvalCase } from '@perch/model/data';
import { evaluate, meanInterval, MetricAccumulator, popularity, repeatShare, type Scorer, ItemKnnScorer, MarkovScorer, PopScorer, SknnScorer } from '@perch/model/eval';
import type { Metrics } from '@perch/model/eval';
import { ModelScorer, DEFAULTS, localEngine, stoppingCases, train, type TrainOptions, type TrainResult, PlainModel } from '@perch/model/plain';
import { parallelEngine } from './parallel.js';
import { intFlag, seedsFlag, setFlag, type Args } from './options.js';
import { trainingPlot } from './plot.js';
import { Progress } from '../progress.js';
import { UsageError } from '../args.js';
import { readInput } from './read.js';
import { buildInt8, loadWeights, modelBytes, writeDir } from './export-model.js';
import { expandRows } from '@perch/model/catalog';

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
  const seeds = seedsFlag(args);
  const epochs = intFlag(args, 'epochs', 1); if (epochs !== undefined) opts.maxEpochs = epochs;
  const maxS = intFlag(args, 'max-seconds', 1); if (maxS !== undefined) opts.maxSeconds = maxS;
  // --split val: the validation cases early stopping did not score; the test events are never read
  const on = args.flags.get('split') === 'val' ? 'val' : 'test';
  const cases = on === 'val' ? stoppingCases(split.val, opts.maxValCases).rest : split.test;
  if (cases.length === 0) throw new UsageError(`${data}: too few users for a validation figure (early stopping uses the validation cases)`);
  const repeats = repeatShare(cases);
  log(`measuring on ${on}: ${cases.length} cases, ${(100 * repeats).toFixed(1)} % of them repeat an item of their history (a miss: history excluded)`);

  const results: Record<string, Metrics> = {};
  const baselines: Array<() => Scorer> = [() => new PopScorer(split.train, V), () => new MarkovScorer(split.train, V), () => new ItemKnnScorer(split.train, V), () => new SknnScorer(split.train, V)];
  for (const make of baselines) {
    const s = make();
    const bar = new Progress(`baseline ${s.name}`);
    results[s.name] = evaluate(s, cases, V, 64, (d) => bar.update(d, cases.length));
    bar.done(`HR@20 ${results[s.name]!['HR@20']!.toFixed(4)} NDCG@20 ${results[s.name]!['NDCG@20']!.toFixed(4)}`);
  }

  const threads = intFlag(args, 'threads', 1) ?? 1;
  const out = args.flags.get('out');
  const plot = args.flags.get('plot');
  const runs: Array<{ seed: number; res: TrainResult; model: Metrics; byTarget: Record<string, Metrics> }> = [];
  const groups = targetGroups(cases, popularity(split.train, V));
  let files: Map<string, Uint8Array> | undefined;
  for (const seed of seeds) {
    const o = { ...opts, seed };
    log(`training on ${threads} thread(s): ${JSON.stringify(o)}`);
    const bar = new Progress(seeds.length > 1 ? `train seed ${seed}` : 'train');
    const res = await train(ds, split, o, {
      onBatch: (e, done, total, loss) => bar.update(done, total, `epoch ${e} loss ${loss.toFixed(4)}`),
      onEpoch: (l) => bar.done(`epoch ${l.epoch}: loss ${l.loss.toFixed(4)}, val HR@20 ${l.val['HR@20']!.toFixed(4)} NDCG@20 ${l.val['NDCG@20']!.toFixed(4)} (${l.seconds.toFixed(0)} s, lr ${l.lr})`),
    }, threads > 1 ? (c) => parallelEngine(c, threads) : localEngine);
    log(`best epoch ${res.bestEpoch} of ${res.history.length} (stopped by ${res.stoppedBy}); ${res.trainSeconds.toFixed(0)} s, ${res.eventsPerSecond.toFixed(0)} events/s`);
    const tbar = new Progress(on);
    const ranks = new Int32Array(cases.length);
    const model = evaluate(new ModelScorer(res.model, o.maxLen), cases, V, 64, (d) => tbar.update(d, cases.length), ranks);
    tbar.done();
    runs.push({ seed, res, model, byTarget: metricsByGroup(ranks, groups) });
    if (plot) {
      const file = seeds.length > 1 ? plot.replace(/(\.html?)?$/i, (ext) => `-seed${seed}${ext || '.html'}`) : plot;
      writeFileSync(file, trainingPlot(`${ds.name} (seed ${seed})`, res.history)); log(`wrote ${file}`);
    }
    const evaluation: Record<string, unknown> = { dataset: ds.name, protocol: 'leave-one-out, full ranking, history excluded (a repeated target is a miss), pessimistic ties', seed, test: round(model), baselines: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, round(v)])) };
    const dims = res.model.dims;
    const exportOf = (): Promise<Map<string, Uint8Array>> => buildInt8(dims, res.model.w, res.dataset, split.train, o, evaluation, res.idRowMask, res.attrHashed ? o.attrBuckets : 0);
    files = await exportOf();
    if (out) {
      // the int8 model is what ships: measure its accuracy too and record it in the manifest
      const q = new PlainModel(dims, expandRows(await loadWeights(files), res.idRowMask, dims.numItems, dims.dim), res.model.attrs);
      const qbar = new Progress('test int8');
      const int8 = evaluate(new ModelScorer(q, o.maxLen), split.test, V, 64, (d) => qbar.update(d, split.test.length));
      qbar.done(`HR@20 ${int8['HR@20']!.toFixed(4)} NDCG@20 ${int8['NDCG@20']!.toFixed(4)} (float32: ${model['HR@20']!.toFixed(4)} / ${model['NDCG@20']!.toFixed(4)})`);
      evaluation.testInt8 = round(int8);
      files = await exportOf();
      const bytes = await writeDir(out, files);
      log(`wrote ${out}: ${[...files.keys()].join(', ')} (${bytes} bytes)`);
    }
  }

  const keys = ['HR@5', 'HR@10', 'HR@20', 'NDCG@5', 'NDCG@10', 'NDCG@20', 'MRR@20'];
  const ci = Object.fromEntries(keys.map((k) => [k, meanInterval(runs.map((r) => r.model[k]!))]));
  const mean: Metrics = Object.fromEntries(keys.map((k) => [k, ci[k]!.mean]));
  const rows: Array<[string, Metrics]> = [['model (GRU)', mean], ...Object.entries(results)];
  console.log(`${on} split, ${cases.length} cases, ${seeds.length === 1 ? `seed ${seeds[0]}` : `mean of seeds ${seeds.join(',')}`}`);
  console.log(['name'.padEnd(12), ...keys.map((k) => k.padStart(8))].join(' '));
  for (const [n, m] of rows) {
    console.log([n.padEnd(12), ...keys.map((k) => m[k]!.toFixed(4).padStart(8))].join(' '));
    if (n === 'model (GRU)' && seeds.length > 1) console.log(['  ± 95 %'.padEnd(12), ...keys.map((k) => ci[k]!.half.toFixed(4).padStart(8))].join(' '));
  }
  const pick = (m: Metrics): Metrics => round(Object.fromEntries(['HR@10', 'HR@20', 'NDCG@10', 'NDCG@20', 'MRR@20'].map((k) => [k, m[k]!])));
  const best = (k: string): number => Math.max(...Object.values(results).map((m) => m[k]!));
  const avg = (f: (r: (typeof runs)[number]) => number): number => runs.reduce((a, r) => a + f(r), 0) / runs.length;
  console.log(JSON.stringify({
    dataset: ds.name, split: on, cases: cases.length, repeat_share: Number(repeats.toFixed(5)), seeds,
    model: pick(mean),
    model_ci95: Object.fromEntries(Object.keys(pick(mean)).map((k) => [k, [Number(ci[k]!.lo.toFixed(5)), Number(ci[k]!.hi.toFixed(5))]])),
    by_target: Object.fromEntries(Object.entries(groups.names).map(([g, label]) => [g, {
      label, cases: groups.sizes[g], ...pick(Object.fromEntries(keys.map((k) => [k, avg((r) => r.byTarget[g]![k] ?? 0)]))),
    }])),
    over_best_baseline: { 'HR@20': Number((mean['HR@20']! / best('HR@20')).toFixed(4)), 'NDCG@20': Number((mean['NDCG@20']! / best('NDCG@20')).toFixed(4)) },
    baselines: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, pick(v)])),
    train_seconds: Number(avg((r) => r.res.trainSeconds).toFixed(1)), events_per_second: Math.round(avg((r) => r.res.eventsPerSecond)), model_bytes: modelBytes(files!),
    epochs: runs[0]!.res.history.length, best_epoch: runs[0]!.res.bestEpoch, seed: seeds[0], threads,
    per_seed: runs.map((r) => ({
      seed: r.seed, model: pick(r.model), train_seconds: Number(r.res.trainSeconds.toFixed(1)), events_per_second: Math.round(r.res.eventsPerSecond),
      epochs: r.res.history.length, best_epoch: r.res.bestEpoch, stopped_by: r.res.stoppedBy,
      val_ndcg20: r.res.history.map((h) => Number(h.val['NDCG@20']!.toFixed(5))),
      by_target: Object.fromEntries(Object.entries(r.byTarget).map(([g, m]) => [g, pick(m)])),
    })),
  }));
  return 0;
}

/**
 * Cases grouped by how often their target occurs in the training sequences: never (`unseen`), 1–4 times (`rare`)
 * or more (`frequent`). A design that represents items by their attributes should not lose on the first two.
 */
export function targetGroups(cases: readonly EvalCase[], trainCounts: ArrayLike<number>): { of: string[]; names: Record<string, string>; sizes: Record<string, number> } {
  const names = { unseen: 'target not in training', rare: 'target 1-4 times in training', frequent: 'target 5+ times in training' };
  const of = cases.map((c) => (trainCounts[c.target]! === 0 ? 'unseen' : trainCounts[c.target]! < 5 ? 'rare' : 'frequent'));
  const sizes: Record<string, number> = { unseen: 0, rare: 0, frequent: 0 };
  for (const g of of) sizes[g]!++;
  return { of, names, sizes };
}

/** Metrics of each group from the cases' ranks (same order as the cases `targetGroups` saw). */
export function metricsByGroup(ranks: Int32Array, groups: { of: string[]; sizes: Record<string, number> }): Record<string, Metrics> {
  const acc: Record<string, MetricAccumulator> = {};
  for (const g of Object.keys(groups.sizes)) acc[g] = new MetricAccumulator();
  groups.of.forEach((g, i) => acc[g]!.add(ranks[i]!));
  return Object.fromEntries(Object.entries(acc).map(([g, a]) => [g, a.result()]));
}
