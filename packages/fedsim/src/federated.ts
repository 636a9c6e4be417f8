/**
 * Federated rounds over the simulated clients. Each round: every device flips its private Poisson coin
 * (`shouldParticipate`, probability q); each sampled device trains locally (the SDK's `LocalTrainer`), then runs the real
 * client pipeline `makeUpdate` (clip to C, Gaussian noise zC, int8 stochastic quantisation, wire encoding); the
 * server decodes, aggregates and applies (SimServer). Every device is eligible in every round, so one
 * accountant, recording (q, z) per round as `PrivacyAccountant.sample` does on a device, states every device's ε.
 */
import type { EvalCase } from '@perch/model/data/split.js';
import type { Sequence } from '@perch/model/data/types.js';
import { evaluate } from '@perch/model/eval/evaluate.js';
import type { Metrics } from '@perch/model/eval/metrics.js';
import { makeUpdate } from '@perch/model/federated/client-update.js';
import { PlainModel } from '@perch/model/plain/model.js';
import { ModelScorer } from '@perch/model/plain/scorer.js';
import { PrivacyAccountant, shouldParticipate } from '@perch/model/privacy/accountant.js';
import type { Layout } from '@perch/model/privacy/flatten.js';
import { seededRng } from '@perch/model/privacy/rng.js';
import type { ModelDims, Weights } from '@perch/model/spec.js';
import type { AggregationRule } from '@perch/aggregator/src/aggregate/index.ts';
import type { ServerOptimizer } from '@perch/aggregator/src/aggregate/server-optimizer.ts';
import type { LocalTrainer } from '@perch/model/federated/local-train.js';
import { SimServer } from './server.js';

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
  /** Devices stop contributing when one more round could overshoot this ε. */
  epsilonBudget: number;
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
  /** ε per device after this round (null without noise: no DP guarantee). */
  epsilon: number | null;
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
  onRound?: (log: RoundLog) => void, onUpload?: (bytes: Uint8Array, seq: Sequence) => void): Promise<{ logs: RoundLog[]; epsilon: number | null; bytesPerClient: number }> {
  const D = ctx.layout.size;
  const dp = o.noise !== 'off';
  const C = dp ? o.clip : UNBOUNDED;
  const zLocal = o.noise === 'local' ? o.z : 0;
  const maxClientWeight = dp ? 1 : o.maxClientWeight; // the devices' claim: DP devices send 1, as the SDK does
  const bound = C * Math.sqrt(1 + zLocal * zLocal * D); // the aggregator's upload bound
  const server = new SimServer(ctx.layout, {
    rule: o.rule, bound, maxClientWeight: o.maxClientWeight, centralNoise: o.noise === 'central' ? o.z : 0, optimizer: o.optimizer, frozen: o.frozen ?? [],
    dp, expectedClients: o.q * ctx.clients.length, // DP rounds: unit weights over the expected clients per round
  }, seededRng(o.seed * 7 + 3));
  const coins = seededRng(o.seed * 7 + 1), noiseRng = seededRng(o.seed * 7 + 2);
  const acc = new PrivacyAccountant({ delta: o.delta, epsilonBudget: o.epsilonBudget });
  const model = new PlainModel(ctx.dims, global, ctx.attrs);
  const logs: RoundLog[] = [];
  let bytesPerClient = 0;
  for (let r = 1; r <= o.rounds; r++) {
    const t0 = performance.now();
    if (dp) {
      if (!acc.canContribute({ q: o.q, z: o.z })) break; // every device's budget is spent: no more DP rounds
      acc.record(o.q, o.z);
    }
    const payloads: Uint8Array[] = [];
    for (const seq of ctx.clients) {
      if (!shouldParticipate(o.q, coins)) continue;
      const { delta, positions } = local.train([seq]);
      const { bytes } = makeUpdate(delta, ctx.layout, {
        roundId: r, baseVersion: r, clipBound: C, noiseMultiplier: zLocal, examples: positions, maxClientWeight, rng: noiseRng,
      });
      bytesPerClient = bytes.length;
      payloads.push(bytes);
      onUpload?.(bytes, seq);
    }
    const { count, stepNorm } = await server.round(r, payloads, global);
    const log: RoundLog = { round: r, clients: count, epsilon: dp ? acc.spent().epsilon : null, bytesPerClient, stepNorm, seconds: 0 };
    if (r % o.evalEvery === 0 || r === o.rounds || (dp && !acc.canContribute({ q: o.q, z: o.z }))) {
      model.invalidate();
      log.ranks = new Int32Array(ctx.test.length);
      log.test = evaluate(new ModelScorer(model, ctx.maxLen), ctx.test, ctx.dims.numItems, 64, undefined, log.ranks);
    }
    log.seconds = (performance.now() - t0) / 1000;
    logs.push(log);
    onRound?.(log);
  }
  return { logs, epsilon: dp ? acc.spent().epsilon : null, bytesPerClient };
}
