/**
 * The whole simulation: pretrain on a seeded subset of users, evaluate the start, train the centralised
 * baselines on the federated users' data, then run federated training without DP and with DP, all from the
 * same pretrained start and evaluated on the same federated users' test cases.
 */
import type { Dataset } from '@perch/model/data/types.js';
import { popularity } from '@perch/model/eval/baselines/common.js';
import { evaluate } from '@perch/model/eval/evaluate.js';
import type { Metrics } from '@perch/model/eval/metrics.js';
import { PlainModel } from '@perch/model/plain/model.js';
import { ModelScorer } from '@perch/model/plain/scorer.js';
import { DEFAULTS, dimsFor, train, type TrainHooks } from '@perch/model/plain/train.js';
import { makeLayout } from '@perch/model/privacy/flatten.js';
import { SHARED_DENSE_WEIGHTS, weightShapes, type Weights } from '@perch/model/spec.js';
import { trainCentral } from './central.js';
import { LocalTrainer, type LocalOptions } from './client.js';
import { runFederated, type FederatedContext, type NoiseMode, type RoundLog } from './federated.js';
import { makePopulation } from './population.js';
import { medianUpdateNorm, noiseForBudget } from './privacy.js';
import { pairedDelta } from './paired.js';
import { cloneWeights } from './weights.js';
import type { ServerOptimizer } from '@perch/aggregator/src/aggregate/server-optimizer.ts';

export interface SimOptions extends LocalOptions {
  seed: number;
  pretrainFraction: number;
  /** Federated users evaluated (0 = all). */
  evalUsers: number;
  pretrainSeconds: number;
  pretrainEpochs: number;
  dim: number;
  hidden: number;
  rounds: number;
  /** Expected clients per round; q = clientsPerRound / number of clients. */
  clientsPerRound: number;
  evalEvery: number;
  serverLr: number;
  serverMomentum: number;
  /** Server optimiser for the DP runs (DP-FedAvg usually wants momentum to average the noise out). */
  dpServerLr: number;
  dpServerMomentum: number;
  epsilon: number;
  delta: number;
  /** DP noise placements to run; the first is reported as `federated_dp`. */
  noise: Exclude<NoiseMode, 'off'>[];
  /** Client clip bound, or 'auto' = median local-update norm on pretraining users. */
  clip: number | 'auto';
  centralEpochs: number;
  centralSeconds: number;
  /** Server optimiser of every federated run (see server.ts). */
  serverOpt: 'sgdm' | 'adam';
  adamTau: number;
  /** Bias-corrected FedAdam moments (see server.ts). */
  adamBiasCorrection: boolean;
  /** Rounds of linear server learning-rate warm-up. */
  serverWarmup: number;
}

export interface SimHooks {
  phase?(name: string): void;
  pretrain?: TrainHooks;
  central?(mode: string, epoch: number, m: Metrics): void;
  round?(run: string, log: RoundLog, total: number): void;
}

/** Paired difference to the pretrained start on the same test cases (95 % bootstrap interval). */
export type VsStart = ReturnType<typeof pairedDelta>;

export interface RunResult { test: Metrics; vsStart: VsStart; logs: RoundLog[]; epsilon: number | null; z: number; noise: NoiseMode }

export interface SimResult {
  clients: number;
  q: number;
  clip: number;
  layoutSize: number;
  bytesPerClientRound: number;
  evalUsers: number;
  start: Metrics;
  central: Metrics;
  centralVsStart: VsStart;
  centralFull: Metrics;
  centralFullVsStart: VsStart;
  federated: RunResult;
  dp: RunResult[];
  seconds: number;
}

/** The server optimiser of one run from the command-line options, at learning rate `lr` and momentum `mom`. */
export function serverOptimizer(o: Pick<SimOptions, 'serverOpt' | 'adamTau' | 'adamBiasCorrection' | 'serverWarmup'>, lr: number, mom: number): ServerOptimizer {
  return o.serverOpt === 'adam'
    ? { kind: 'adam', learningRate: lr, tau: o.adamTau, biasCorrection: o.adamBiasCorrection, warmupRounds: o.serverWarmup }
    : { kind: 'sgd', learningRate: lr, momentum: mom, warmupRounds: o.serverWarmup };
}

/** Runs every phase on `ds`; deterministic for a given seed. */
export async function simulate(ds: Dataset, o: SimOptions, hooks: SimHooks = {}): Promise<SimResult> {
  const t0 = performance.now();
  const pop = makePopulation(ds, { pretrainFraction: o.pretrainFraction, evalUsers: o.evalUsers, seed: o.seed });
  if (pop.clients.length === 0 || pop.test.length === 0) throw new RangeError('not enough federated users with 3+ events');
  const loss = { ...DEFAULTS, dim: o.dim, hidden: o.hidden };
  hooks.phase?.(`pretraining on ${pop.pretrain.train.length} users`);
  const pre = await train(ds, pop.pretrain, { ...loss, seed: o.seed, maxSeconds: o.pretrainSeconds, maxEpochs: o.pretrainEpochs }, hooks.pretrain);
  const dims = dimsFor(ds, loss);
  const start = pre.model.w;
  const attrs = { attrOffsets: ds.attrOffsets, attrIds: ds.attrIds };
  const layout = makeLayout(weightShapes(dims), SHARED_DENSE_WEIGHTS);
  const counts = popularity(pop.pretrain.train, dims.numItems); // server-known popularity for negatives
  const startRanks = new Int32Array(pop.test.length);
  const test = (w: Weights, ranks?: Int32Array): Metrics => evaluate(new ModelScorer(new PlainModel(dims, w, attrs), loss.maxLen), pop.test, dims.numItems, 64, undefined, ranks);
  const startM = test(start, startRanks);
  const vs = (ranks: Int32Array): VsStart => pairedDelta(startRanks, ranks, { seed: o.seed });
  const centralRanks = new Int32Array(pop.test.length), fullRanks = new Int32Array(pop.test.length);

  hooks.phase?.('centralised training (shared dense weights only)');
  const centralOpts = { epochs: o.centralEpochs, lr: loss.lr, batchPositions: loss.batchPositions, seed: o.seed + 11, maxSeconds: o.centralSeconds };
  const cd = trainCentral(dims, start, attrs, pop.clients, pop.val, loss, counts, { ...centralOpts, mode: 'dense' }, (e, m) => hooks.central?.('dense', e, m));
  const central = test(cd.weights, centralRanks);
  hooks.phase?.('centralised training (all weights)');
  const cf = trainCentral(dims, start, attrs, pop.clients, pop.val, loss, counts, { ...centralOpts, mode: 'full' }, (e, m) => hooks.central?.('full', e, m));
  const centralFull = test(cf.weights, fullRanks);

  const q = Math.min(1, o.clientsPerRound / pop.clients.length);
  const ctx: FederatedContext = { dims, attrs, layout, maxLen: loss.maxLen, clients: pop.clients, test: pop.test };
  const local = (g: Weights): LocalTrainer => new LocalTrainer(dims, g, attrs, layout, loss, counts, o.seed + 21, o);
  const clip = o.clip === 'auto' ? medianUpdateNorm(local(cloneWeights(start)), pop.pretrain.train.filter((s) => s.items.length >= 2).slice(0, 200)) : o.clip;
  const base = { rounds: o.rounds, q, clip, delta: o.delta, epsilonBudget: o.epsilon, rule: 'fedavg' as const, maxClientWeight: 32, evalEvery: o.evalEvery, seed: o.seed };

  const run = async (name: string, noise: NoiseMode, z: number, lr: number, mom: number): Promise<RunResult> => {
    hooks.phase?.(`federated ${name}`);
    const g = cloneWeights(start);
    const r = await runFederated(ctx, g, local(g), { ...base, noise, z, optimizer: serverOptimizer(o, lr, mom) }, (l) => hooks.round?.(name, l, o.rounds));
    const last = [...r.logs].reverse().find((l) => l.test)!;
    return { test: last.test!, vsStart: vs(last.ranks!), logs: r.logs.map(({ ranks: _, ...l }) => l), epsilon: r.epsilon, z, noise };
  };
  const federated = await run('without DP', 'off', 0, o.serverLr, o.serverMomentum);
  const z = noiseForBudget(q, o.rounds, o.epsilon, o.delta);
  const dp: RunResult[] = [];
  for (const mode of o.noise) dp.push(await run(`with DP (${mode} noise, z=${z.toPrecision(3)})`, mode, z, o.dpServerLr, o.dpServerMomentum));
  const bytes = federated.logs.find((l) => l.bytesPerClient > 0)?.bytesPerClient ?? 0;
  return {
    clients: pop.clients.length, q, clip, layoutSize: layout.size, bytesPerClientRound: bytes, evalUsers: pop.test.length,
    start: startM, central, centralVsStart: vs(centralRanks), centralFull, centralFullVsStart: vs(fullRanks), federated, dp, seconds: (performance.now() - t0) / 1000,
  };
}
