/**
 * The whole simulation: pretrain on a seeded subset of users, evaluate the start, train the centralised
 * baselines on the federated users' data, then run federated training without DP and with DP, all from the
 * same pretrained start and evaluated on the same federated users' held-out events (`split`: the last, test, or
 * the second-to-last, val).
 */
import type { Dataset, EvalCase } from '@perch/model/data';
import { popularity, evaluate } from '@perch/model/eval';
import type { Metrics } from '@perch/model/eval';
import { PlainModel, ModelScorer, DEFAULTS, dimsFor, train, type TrainHooks } from '@perch/model/plain';
import { makeLayout } from '@perch/learn/update';
import { SHARED_DENSE_WEIGHTS, weightShapes, type Weights } from '@perch/model/spec';
import { trainCentral } from './central.js';
import { LocalTrainer } from '@perch/learn/client';
import type { LocalRecipe } from '@perch/learn/client';
import { runFederated, type FederatedContext, type NoiseMode, type RoundLog, type SecAggCheck } from './federated.js';
import type { DdgPlan } from './ddg.js';
import { makePopulation, type Population } from './population.js';
import { medianUpdateNorm, noiseForBudget } from './privacy.js';
import { pairedDelta } from './paired.js';
import { coldTargets, hitRateByTarget } from './coverage.js';
import { cloneWeights } from './weights.js';
import type { ServerOptimizer } from '@perch/learn/server';

export interface SimOptions {
  /** The devices' local recipe (`LocalRecipe`, as the aggregator announces it): passes over the sequence. */
  localEpochs: number;
  /** Client SGD learning rate (1 with one epoch: the delta is the gradient, FedSGD). */
  clientLr: number;
  /** Sampled negatives per local step. */
  localNegatives: number;
  /** Virtual batch of the local loss (`LossConfig.virtualBatch`; 0 = none). */
  virtualBatch: number;
  /** Dropout of the local loss. */
  localDropout: number;
  /** Shared dense tensors the devices do not train (`LocalRecipe.frozen`). */
  localFrozen: readonly string[];
  /** The same for the ddg runs (secure-aggregation rounds announce their own recipe, DEFAULT_SECAGG_RECIPE). */
  ddgFrozen: readonly string[];
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
  /** Rounds of the DP runs (the noise is calibrated so that they fit the ε budget). */
  dpRounds: number;
  /** Expected clients per round of the DP runs (more clients per round divide central noise). */
  dpClientsPerRound: number;
  /** Learning-rate decay of the DP runs (rounds to 10 %; 0 = none). */
  dpServerDecay: number;
  /** Each device's ε budget (local noise: against the aggregator; central: against observers of published models). */
  epsilon: number;
  delta: number;
  /** DP noise placements to run; the first is reported as `federated_dp`. */
  noise: Exclude<NoiseMode, 'off'>[];
  /** The noise multiplier devices add in the local-noise runs (the policy's minimum by default). */
  localZ: number;
  /** The policy's largest ε per upload (local noise). */
  epsilonPerRound: number;
  /** Client clip bound, or 'auto' = median local-update norm on pretraining users. */
  clip: number | 'auto';
  centralEpochs: number;
  centralSeconds: number;
  /** Federated users the centralised baselines train on (a seeded random subset; 0 = all of them). */
  centralUsers: number;
  /** ddg noise: bits per value, uploads a device's budget must allow, the smallest cohort released (auto: ddg.ts). */
  ddgBits: number;
  ddgUploads: number | 'auto';
  ddgMinCohort: number | 'auto';
  /** ddg noise: fractions of a cohort assumed to drop out and to collude with the aggregator (the honest cohort). */
  ddgDropout: number;
  ddgColluding: number;
  /** ddg noise: devices of the first released round that run the real SecAgg+ protocol (0 = none). */
  secaggDevices: number;
  /**
   * Which held-out event every figure is measured on: `test` (each user's last event) or `val` (the second-to-last;
   * training data is the same, the events before it). Choices are made on val; test is for the final figure.
   */
  split: 'val' | 'test';
  /** Who takes part in a federated round: Poisson coins (q = clients per round / clients) or a cyclic pass. */
  participation: 'poisson' | 'cyclic';
  /** Server optimiser of every federated run (see server.ts). */
  serverOpt: 'sgdm' | 'adam';
  adamTau: number;
  /** Bias-corrected FedAdam moments (see server.ts). */
  adamBiasCorrection: boolean;
  /** Rounds of linear server learning-rate warm-up. */
  serverWarmup: number;
  /** Rounds over which the server learning rate decays linearly to 10 % (0 = none). */
  serverDecay: number;
}

export interface SimHooks {
  phase?(name: string): void;
  pretrain?: TrainHooks;
  central?(mode: string, epoch: number, m: Metrics): void;
  round?(run: string, log: RoundLog, total: number): void;
}

/** Paired difference to the pretrained start on the same test cases (95 % bootstrap interval). */
export type VsStart = ReturnType<typeof pairedDelta>;

/** HR@20 on test cases whose target the pretraining data saw, and on the others (coverage.ts). */
export type ByTarget = ReturnType<typeof hitRateByTarget>;

export interface RunResult {
  /** Metrics on the evaluation split (`SimOptions.split`). */
  test: Metrics; vsStart: VsStart; byTarget: ByTarget; logs: RoundLog[]; epsilon: number | null; epsilonServer: number | null;
  /** Noise multiplier: local and central z; ddg, the per-device σ/C. */
  z: number; noise: NoiseMode; q: number; rounds: number;
  /** ddg: the shared parameters and accounting, the most uploads a device made, the SecAgg+ check. */
  ddg?: DdgPlan; maxUploads?: number; secagg?: SecAggCheck;
}

export interface SimResult {
  clients: number;
  /** The held-out event every figure is measured on. */
  split: 'val' | 'test';
  q: number;
  clip: number;
  layoutSize: number;
  bytesPerClientRound: number;
  evalUsers: number;
  start: Metrics;
  /** Share of the test cases whose target never occurs in the pretraining data (dense-only models rank those barely if at all). */
  unseenTargetShare: number;
  startByTarget: ByTarget;
  central: Metrics;
  centralByTarget: ByTarget;
  centralVsStart: VsStart;
  centralFull: Metrics;
  centralFullVsStart: VsStart;
  centralFullByTarget: ByTarget;
  federated: RunResult;
  dp: RunResult[];
  seconds: number;
}

/** The server optimiser of one run from the command-line options, at learning rate `lr` and momentum `mom`. */
export function serverOptimizer(o: Pick<SimOptions, 'serverOpt' | 'adamTau' | 'adamBiasCorrection' | 'serverWarmup' | 'serverDecay'>, lr: number, mom: number, decay = o.serverDecay): ServerOptimizer {
  const schedule = { warmupRounds: o.serverWarmup, decayRounds: decay };
  return o.serverOpt === 'adam'
    ? { kind: 'adam', learningRate: lr, tau: o.adamTau, biasCorrection: o.adamBiasCorrection, ...schedule }
    : { kind: 'sgd', learningRate: lr, momentum: mom, ...schedule };
}

/** The devices' local training recipe of a simulation (what the aggregator would announce with each round). */
export const recipeOf = (o: Pick<SimOptions, 'localEpochs' | 'clientLr' | 'localNegatives' | 'virtualBatch' | 'localDropout' | 'localFrozen'>): LocalRecipe => ({
  epochs: o.localEpochs, learningRate: o.clientLr, negatives: o.localNegatives, virtualBatch: o.virtualBatch, dropout: o.localDropout,
  frozen: [...o.localFrozen],
});

/**
 * The held-out events every figure is measured on: each evaluated user's last event (test) or second-to-last
 * (val). The devices train on the same prefixes either way (the events before the second-to-last), so a val
 * figure never saw its target, and choices made on val leave test untouched.
 */
export const evaluationCases = (pop: Pick<Population, 'val' | 'test'>, split: 'val' | 'test'): EvalCase[] => (split === 'val' ? pop.val : pop.test);

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
  const cases = evaluationCases(pop, o.split);
  const test = (w: Weights, ranks?: Int32Array): Metrics => evaluate(new ModelScorer(new PlainModel(dims, w, attrs), loss.maxLen), cases, dims.numItems, 64, undefined, ranks);
  const startRanks = new Int32Array(cases.length);
  const startM = test(start, startRanks);
  const cold = coldTargets(cases, counts);
  const byTarget = (ranks: Int32Array): ByTarget => hitRateByTarget(ranks, cold);
  const vs = (ranks: Int32Array): VsStart => pairedDelta(startRanks, ranks, { seed: o.seed });
  const centralRanks = new Int32Array(cases.length), fullRanks = new Int32Array(cases.length);

  hooks.phase?.('centralised training (shared dense weights only)');
  const centralOpts = { epochs: o.centralEpochs, lr: loss.lr, batchPositions: loss.batchPositions, seed: o.seed + 11, maxSeconds: o.centralSeconds };
  const centralClients = o.centralUsers > 0 ? pop.clients.slice(0, o.centralUsers) : pop.clients; // clients are in shuffled order
  const cd = trainCentral(dims, start, attrs, centralClients, pop.val, loss, counts, { ...centralOpts, mode: 'dense' }, (e, m) => hooks.central?.('dense', e, m));
  const central = test(cd.weights, centralRanks);
  hooks.phase?.('centralised training (all weights)');
  const cf = trainCentral(dims, start, attrs, centralClients, pop.val, loss, counts, { ...centralOpts, mode: 'full' }, (e, m) => hooks.central?.('full', e, m));
  const centralFull = test(cf.weights, fullRanks);

  const q = Math.min(1, o.clientsPerRound / pop.clients.length);
  const dpQ = Math.min(1, o.dpClientsPerRound / pop.clients.length);
  const ctx: FederatedContext = { dims, attrs, layout, maxLen: loss.maxLen, clients: pop.clients, test: cases };
  // Devices train with the round's recipe on the model's item counts (the pretraining data's, published with the
  // model as vocab.itemCounts), exactly as the SDK worker does.
  const local = (g: Weights, frozen = o.localFrozen): LocalTrainer => new LocalTrainer(dims, g, attrs, layout, { recipe: { ...recipeOf(o), frozen: [...frozen] }, counts, seed: o.seed + 21, gradClip: 5, typedEvents: ds.typedEvents });
  const clip = o.clip === 'auto' ? medianUpdateNorm(local(cloneWeights(start)), pop.pretrain.train.filter((s) => s.items.length >= 2).slice(0, 200)) : o.clip;
  const ddg = { bits: o.ddgBits, uploads: o.ddgUploads, minCohort: o.ddgMinCohort, dropout: o.ddgDropout, colluding: o.ddgColluding, secaggDevices: o.secaggDevices };
  const base = { clip, delta: o.delta, epsilonBudget: o.epsilon, epsilonPerRound: o.epsilonPerRound, rule: 'fedavg' as const, maxClientWeight: 32, seed: o.seed, frozen: o.localFrozen, ddg, participation: o.participation };

  interface Plan { rounds: number; q: number; noise: NoiseMode; z: number; optimizer: ServerOptimizer; evalEvery: number }
  // DP runs are evaluated as many times as the run without DP, whatever their number of rounds.
  const dpEvalEvery = Math.max(1, Math.round((o.dpRounds * o.evalEvery) / o.rounds));
  const run = async (name: string, p: Plan): Promise<RunResult> => {
    hooks.phase?.(`federated ${name}`);
    const g = cloneWeights(start);
    const frozen = p.noise === 'ddg' ? o.ddgFrozen : o.localFrozen;
    const r = await runFederated(ctx, g, local(g, frozen), { ...base, ...p, frozen }, (l) => hooks.round?.(name, l, p.rounds));
    const last = [...r.logs].reverse().find((l) => l.test)!;
    const more = r.ddg ? { ddg: r.ddg, maxUploads: r.maxUploads, ...(r.secagg ? { secagg: r.secagg } : {}) } : {};
    return { test: last.test!, vsStart: vs(last.ranks!), byTarget: byTarget(last.ranks!), logs: r.logs.map(({ ranks: _, ...l }) => l), epsilon: r.epsilon, epsilonServer: r.epsilonServer, z: r.ddg ? r.ddg.sigma / r.ddg.clip : p.z, noise: p.noise, q: p.q, rounds: p.rounds, ...more };
  };
  const federated = await run('without DP', { rounds: o.rounds, q, noise: 'off', z: 0, optimizer: serverOptimizer(o, o.serverLr, o.serverMomentum), evalEvery: o.evalEvery });
  const dp: RunResult[] = [];
  for (const mode of o.noise) {
    // Local: the devices' own z (their policy's). Central: calibrated so that the rounds fit the budget (amplified ε).
    // ddg: σ per device from the budget and the honest cohort (runFederated plans it; z is unused).
    const z = mode === 'local' ? o.localZ : mode === 'central' ? noiseForBudget(dpQ, o.dpRounds, o.epsilon, o.delta) : 0;
    dp.push(await run(mode === 'ddg' ? 'with DP (ddg noise, secure aggregation)' : `with DP (${mode} noise, z=${z.toPrecision(3)})`, { rounds: o.dpRounds, q: dpQ, noise: mode, z, optimizer: serverOptimizer(o, o.dpServerLr, o.dpServerMomentum, o.dpServerDecay), evalEvery: dpEvalEvery }));
  }
  const bytes = federated.logs.find((l) => l.bytesPerClient > 0)?.bytesPerClient ?? 0;
  return {
    clients: pop.clients.length, split: o.split, q, clip, layoutSize: layout.size, bytesPerClientRound: bytes, evalUsers: pop.test.length,
    start: startM, unseenTargetShare: cold.reduce((a, b) => a + b, 0) / cold.length, startByTarget: byTarget(startRanks),
    central, centralVsStart: vs(centralRanks), centralByTarget: byTarget(centralRanks), centralFull, centralFullVsStart: vs(fullRanks), centralFullByTarget: byTarget(fullRanks), federated, dp, seconds: (performance.now() - t0) / 1000,
  };
}
