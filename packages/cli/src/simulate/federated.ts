/**
 * Federated rounds over the simulated clients. Each round: every device flips its coin (`shouldParticipate`,
 * probability q); each sampled device trains locally (the SDK's `LocalTrainer`), then runs the real client
 * pipeline `makeUpdate` (clip to C, Gaussian noise zC, int8 stochastic quantisation, wire encoding); the server
 * decodes, aggregates and applies (SimServer).
 *
 * Accounting, by noise placement:
 * - `local` (what devices run under their policy): each device keeps its own account against the aggregator, as
 *   the SDK's `DeviceAccountant` does (every upload at z costs the same, so a count per device is the state); a
 *   device whose next upload would pass the budget stops taking part. The reported ε is the largest over devices;
 *   it is the server-view ε and, with no central noise, also the published-model ε.
 * - `central` (a research setting devices refuse by default: they add no noise, the server does): the amplified ε
 *   of the sampled Gaussian against observers of the published models, which holds only if the aggregator adds
 *   its noise and keeps who took part secret; against the aggregator there is no protection (null).
 */
import type { EvalCase, Sequence } from '@perch/model/data';
import { evaluate } from '@perch/model/eval';
import type { Metrics } from '@perch/model/eval';
import { makeUpdate } from '@perch/learn/client';
import { PlainModel, ModelScorer } from '@perch/model/plain';
import { PrivacyAccountant, shouldParticipate, DeviceAccountant } from '@perch/learn/privacy';
import type { Layout } from '@perch/learn/update';
import type { ModelDims, Weights } from '@perch/model/spec';
import type { AggregationRule, ServerOptimizer } from '@perch/learn/server';
import type { LocalTrainer } from '@perch/learn/client';
import { SimServer } from './server.js';
import { Rng } from '@perch/model/rng';

/** Where the DP noise is added: on each device (the SDK's pipeline), on the server (DP-FedAvg), or nowhere. */
export type NoiseMode = 'local' | 'central' | 'off';

export interface FederatedOptions {
  rounds: number;
  /** Poisson sampling probability per device and round. */
  q: number;
  /** Client clip bound C (ignored, i.e. effectively unbounded, when noise is off). */
  clip: number;
  /** Noise multiplier z. */
  z: number;
  noise: NoiseMode;
  delta: number;
  /** Devices stop contributing when one more upload (local) or round (central) could overshoot this ε. */
  epsilonBudget: number;
  /** Local noise: the policy's largest ε per upload (a larger one is refused by devices; here, an error). */
  epsilonPerRound?: number;
  rule: AggregationRule;
  /** The server optimiser (aggregate/server-optimizer.ts); FedAvg is `{ kind: 'sgd', learningRate: 1 }`. */
  optimizer: ServerOptimizer;
  maxClientWeight: number;
  evalEvery: number;
  seed: number;
  /** Tensors the devices' recipe freezes (`LocalRecipe.frozen`); the server zeroes their part of the mean. */
  frozen?: readonly string[];
}

export interface RoundLog {
  round: number;
  clients: number;
  /** ε against observers of the published models, largest over devices, after this round (null without noise). */
  epsilon: number | null;
  /** ε against the aggregator, largest over devices (null without device noise: no protection from it). */
  epsilonServer: number | null;
  bytesPerClient: number;
  stepNorm: number;
  seconds: number;
  test?: Metrics;
  /** 0-based rank of each test case's target (with `test`), for paired comparisons. */
  ranks?: Int32Array;
}

export interface FederatedContext {
  dims: ModelDims;
  attrs: { attrOffsets: Int32Array; attrIds: Int32Array };
  layout: Layout;
  maxLen: number;
  clients: Sequence[];
  test: EvalCase[];
}

const UNBOUNDED = 1e30;

/**
 * Runs the rounds on `global` (its dense tensors are updated in place; `local` must wrap the same object).
 * `onUpload` sees every payload exactly as it would go over the network, with the sequence it came from (tests).
 */
export async function runFederated(ctx: FederatedContext, global: Weights, local: LocalTrainer, o: FederatedOptions,
  onRound?: (log: RoundLog) => void, onUpload?: (bytes: Uint8Array, seq: Sequence) => void): Promise<{ logs: RoundLog[]; epsilon: number | null; epsilonServer: number | null; bytesPerClient: number }> {
  const D = ctx.layout.size;
  const dp = o.noise !== 'off';
  const C = dp ? o.clip : UNBOUNDED;
  const zLocal = o.noise === 'local' ? o.z : 0;
  const maxClientWeight = dp ? 1 : o.maxClientWeight; // the devices' claim: DP devices send 1, as the SDK does
  const bound = C * Math.sqrt(1 + zLocal * zLocal * D); // the aggregator's upload bound
  const server = new SimServer(ctx.layout, {
    rule: o.rule, bound, maxClientWeight: o.maxClientWeight, centralNoise: o.noise === 'central' ? o.z : 0, optimizer: o.optimizer, frozen: o.frozen ?? [],
    dp, expectedClients: o.q * ctx.clients.length, // DP rounds: unit weights over the expected clients per round
  }, new Rng(o.seed * 7 + 3));
  const coins = new Rng(o.seed * 7 + 1), noiseRng = new Rng(o.seed * 7 + 2);
  const central = new PrivacyAccountant({ delta: o.delta, epsilonBudget: o.epsilonBudget });
  // Local noise: ε after k uploads (all at z) from the device accountant, and the most uploads a budget allows.
  const afterUploads: number[] = [0];
  if (o.noise === 'local') {
    const acc = new DeviceAccountant({ epsilonBudget: o.epsilonBudget, delta: o.delta });
    if (o.epsilonPerRound !== undefined && acc.projectedServer(zLocal) > o.epsilonPerRound) {
      throw new RangeError(`one upload at z = ${zLocal} costs ε ${acc.projectedServer(zLocal).toFixed(3)}, above the policy's ${o.epsilonPerRound} per round`);
    }
    while (afterUploads.length <= o.rounds && acc.canUpload(zLocal)) { acc.recordUpload(zLocal, 0); afterUploads.push(acc.epsilonServer()); }
  }
  const maxUploads = afterUploads.length - 1;
  const uploads = new Uint16Array(ctx.clients.length);
  let most = 0;
  const model = new PlainModel(ctx.dims, global, ctx.attrs);
  const logs: RoundLog[] = [];
  let bytesPerClient = 0;
  const spent = (): { epsilon: number | null; epsilonServer: number | null } => {
    if (o.noise === 'local') return { epsilon: afterUploads[most]!, epsilonServer: afterUploads[most]! };
    return o.noise === 'central' ? { epsilon: central.spent().epsilon, epsilonServer: null } : { epsilon: null, epsilonServer: null };
  };
  const centralDone = (): boolean => o.noise === 'central' && !central.canContribute({ q: o.q, z: o.z });
  for (let r = 1; r <= o.rounds; r++) {
    const t0 = performance.now();
    if (centralDone()) break; // every device's budget is spent: no more DP rounds
    if (o.noise === 'central') central.record(o.q, o.z);
    const payloads: Uint8Array[] = [];
    for (const [i, seq] of ctx.clients.entries()) {
      if (!shouldParticipate(o.q, coins)) continue;
      if (o.noise === 'local' && uploads[i]! >= maxUploads) continue; // this device's budget is spent
      const { delta, positions } = local.train([seq]);
      const { bytes } = makeUpdate(delta, ctx.layout, {
        roundId: r, baseVersion: r, clipBound: C, noiseMultiplier: zLocal, examples: positions, maxClientWeight, rng: noiseRng,
      });
      bytesPerClient = bytes.length;
      payloads.push(bytes);
      if (o.noise === 'local') most = Math.max(most, ++uploads[i]!);
      onUpload?.(bytes, seq);
    }
    const { count, stepNorm } = await server.round(r, payloads, global);
    const log: RoundLog = { round: r, clients: count, ...spent(), bytesPerClient, stepNorm, seconds: 0 };
    if (r % o.evalEvery === 0 || r === o.rounds || centralDone()) {
      model.invalidate();
      log.ranks = new Int32Array(ctx.test.length);
      log.test = evaluate(new ModelScorer(model, ctx.maxLen), ctx.test, ctx.dims.numItems, 64, undefined, log.ranks);
    }
    log.seconds = (performance.now() - t0) / 1000;
    logs.push(log);
    onRound?.(log);
  }
  return { logs, ...spent(), bytesPerClient };
}
