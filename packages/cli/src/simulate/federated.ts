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
 * - `ddg` (secure aggregation with the distributed discrete Gaussian, ddg.ts): each device clips, rotates with
 *   the round-public seed, scales and rounds, adds its share of the noise and reduces mod 2^bits (`encodeDdg`); the
 *   server sums the packed vectors mod 2^bits, which is what SecAgg+ reveals (the masks cancel exactly, so they are
 *   skipped, except for `secaggDevices` devices of the first released round, which run the real protocol), decodes
 *   the sum (`decodeDdgSum`) and releases it over the fixed denominator like the other DP rounds. A round whose
 *   cohort is below the minimum, or whose sum is above the norm honest devices stay under (`checkDdgSum`, as the
 *   aggregator checks), is not released (the server would refuse to unmask, or fail the round); its devices still count their
 *   upload, as the SDK records one before it leaves. Each device's ε is the noisy sum's over the minimum honest
 *   cohort, composed over its own uploads; a device stops once one more upload would pass its budget.
 */
import type { EvalCase, Sequence } from '@perch/model/data';
import { evaluate } from '@perch/model/eval';
import type { Metrics } from '@perch/model/eval';
import { makeUpdate } from '@perch/learn/client';
import { PlainModel, ModelScorer } from '@perch/model/plain';
import { PrivacyAccountant, shouldParticipate, DeviceAccountant } from '@perch/learn/privacy';
import { expandTensors, selectedSize, selectTensors, trainedTensors, type Layout } from '@perch/learn/update';
import type { ModelDims, Weights } from '@perch/model/spec';
import type { AggregationRule, ServerOptimizer } from '@perch/learn/server';
import type { LocalTrainer } from '@perch/learn/client';
import { addModM, bitsFromRng, checkDdgSum, decodeDdgSum, encodeDdg, pack, packedLength, sumModM } from '@perch/learn/ddg';
import { SimServer } from './server.js';
import { Rng } from '@perch/model/rng';
import { planDdg, roundParams, type DdgPlan, type DdgSettings } from './ddg.js';
import { secaggSum } from './secagg.js';
import { toB64 } from '@perch/learn/secagg';

/**
 * Where the DP noise is added: on each device (the SDK's pipeline), on the server (DP-FedAvg), shared by the
 * devices under secure aggregation (the distributed discrete Gaussian), or nowhere.
 */
export type NoiseMode = 'local' | 'central' | 'ddg' | 'off';

/** What the real SecAgg+ run of one round measured (`secaggDevices`). */
export interface SecAggCheck {
  round: number;
  devices: number;
  k: number;
  t: number;
  /** The unmasked sum equals the plain modular sum of the same vectors, bit for bit. */
  bitIdentical: boolean;
  seconds: number;
  serverSeconds: number;
  bytesUpPerDevice: number;
  bytesDownPerDevice: number;
}

export interface FederatedOptions {
  rounds: number;
  /** Poisson sampling probability per device and round (cyclic: the cohort is round(q · clients)). */
  q: number;
  /**
   * Who takes part in a round: `poisson` (every device flips its coin, the default) or `cyclic` (the devices in a
   * fixed order, K = round(q · clients) per round, each round the next K: every device takes part once per pass, as
   * when devices keep a minimum separation between their uploads). Neither is assumed by the accounting.
   */
  participation?: 'poisson' | 'cyclic';
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
  /** `ddg` noise: what the run is asked for (the plan, σ and γ, follows from it and the budget). */
  ddg?: DdgSettings;
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
  /**
   * Whether the round's aggregate was released (ddg: false when its cohort was below the minimum, or its sum above
   * the norm bound of honest sums, as the aggregator decides).
   */
  released: boolean;
  /** ddg: the centred L2 norm of the modular sum and the bound n honest devices stay under (`checkDdgSum`), scaled domain. */
  ddgSum?: { norm: number; bound: number };
  /**
   * ddg: RMS per coordinate of (decoded sum − plain sum of the clipped deltas), which the server cannot compute,
   * and the RMS the rounding and the noise should give, sqrt(N·(γ²/4 + σ²)).
   */
  ddgError?: { rms: number; expected: number };
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

export interface FederatedRun {
  logs: RoundLog[];
  epsilon: number | null;
  epsilonServer: number | null;
  bytesPerClient: number;
  /** ddg: the shared parameters and accounting, the most uploads any device made, and the SecAgg+ check. */
  ddg?: DdgPlan;
  maxUploads?: number;
  secagg?: SecAggCheck;
}

/**
 * Runs the rounds on `global` (its dense tensors are updated in place; `local` must wrap the same object).
 * `onUpload` sees every payload exactly as it would go over the network, with the sequence it came from (tests).
 */
export async function runFederated(ctx: FederatedContext, global: Weights, local: LocalTrainer, o: FederatedOptions,
  onRound?: (log: RoundLog) => void, onUpload?: (bytes: Uint8Array, seq: Sequence) => void): Promise<FederatedRun> {
  const D = ctx.layout.size;
  const dp = o.noise !== 'off';
  const C = dp ? o.clip : UNBOUNDED;
  const zLocal = o.noise === 'local' ? o.z : 0;
  const maxClientWeight = dp ? 1 : o.maxClientWeight; // the devices' claim: DP devices send 1, as the SDK does
  const bound = C * Math.sqrt(1 + zLocal * zLocal * D); // the aggregator's upload bound
  const expectedClients = o.q * ctx.clients.length;
  const server = new SimServer(ctx.layout, {
    rule: o.rule, bound, maxClientWeight: o.maxClientWeight, centralNoise: o.noise === 'central' ? o.z : 0, optimizer: o.optimizer, frozen: o.frozen ?? [],
    dp, expectedClients, // DP rounds: unit weights over the expected clients per round
  }, new Rng(o.seed * 7 + 3));
  const coins = new Rng(o.seed * 7 + 1), noiseRng = new Rng(o.seed * 7 + 2);
  const central = new PrivacyAccountant({ delta: o.delta, epsilonBudget: o.epsilonBudget });
  // Local and ddg noise: ε after k uploads (every upload costs the same), and the most uploads a budget allows.
  let afterUploads: number[] = [0];
  if (o.noise === 'local') {
    const acc = new DeviceAccountant({ epsilonBudget: o.epsilonBudget, delta: o.delta });
    if (o.epsilonPerRound !== undefined && acc.projectedServer(zLocal) > o.epsilonPerRound) {
      throw new RangeError(`one upload at z = ${zLocal} costs ε ${acc.projectedServer(zLocal).toFixed(3)}, above the policy's ${o.epsilonPerRound} per round`);
    }
    while (afterUploads.length <= o.rounds && acc.canUpload(zLocal)) { acc.recordUpload(zLocal, 0); afterUploads.push(acc.epsilonServer()); }
  }
  let plan: DdgPlan | undefined;
  // ddg: the masked vector carries only the tensors the devices train (their deltas are zero elsewhere).
  const trained = trainedTensors(ctx.layout, o.frozen ?? []);
  const Dt = selectedSize(ctx.layout, trained);
  if (o.noise === 'ddg') {
    if (!o.ddg) throw new Error('ddg noise needs its settings (FederatedOptions.ddg)');
    plan = planDdg({ settings: o.ddg, dim: Dt, clip: C, expectedCohort: expectedClients, q: o.q, participation: o.participation, rounds: o.rounds, epsilonBudget: o.epsilonBudget, epsilonPerRound: o.epsilonPerRound, delta: o.delta });
    afterUploads = plan.epsilonAfter;
  }
  const budgeted = o.noise === 'local' || o.noise === 'ddg';
  const maxUploads = afterUploads.length - 1;
  const uploads = new Uint16Array(ctx.clients.length);
  let most = 0;
  const model = new PlainModel(ctx.dims, global, ctx.attrs);
  const logs: RoundLog[] = [];
  let bytesPerClient = 0;
  const spent = (): { epsilon: number | null; epsilonServer: number | null } => {
    if (budgeted) return { epsilon: afterUploads[most]!, epsilonServer: afterUploads[most]! };
    return o.noise === 'central' ? { epsilon: central.spent().epsilon, epsilonServer: null } : { epsilon: null, epsilonServer: null };
  };
  const centralDone = (): boolean => o.noise === 'central' && !central.canContribute({ q: o.q, z: o.z });
  // ddg: round-public rotation seeds, the noise's 32-bit words (seeded here; Web Crypto on real devices).
  const seeds = new Rng(o.seed * 7 + 4), noiseBits = bitsFromRng(noiseRng);
  let secagg: SecAggCheck | undefined;
  const cohortOf = participants(o.participation ?? 'poisson', o.q, ctx.clients.length, coins);
  for (let r = 1; r <= o.rounds; r++) {
    const t0 = performance.now();
    if (centralDone()) break; // every device's budget is spent: no more DP rounds
    if (o.noise === 'central') central.record(o.q, o.z);
    let count = 0, stepNorm = 0, released = true, ddgError: RoundLog['ddgError'], ddgSum: RoundLog['ddgSum'];
    if (plan) {
      const params = roundParams(plan, seeds.nextU32());
      const padded = plan.paddedDim, bits = plan.bits;
      const wantSecagg = secagg === undefined && (o.ddg?.secaggDevices ?? 0) > 0;
      const held: Uint32Array[] = []; // the vectors of the devices that run the real protocol
      const sum = new Uint32Array(padded); // Σ mod 2^bits of the others: what SecAgg+ reveals, without the masks
      const plain = new Float64Array(Dt); // Σ of the clipped deltas, for ddgError only (the server never has it)
      for (const i of cohortOf(r)) {
        const seq = ctx.clients[i]!;
        if (uploads[i]! >= maxUploads || count >= plan.maxCohort) continue; // budget spent, or the round is full
        const delta = selectTensors(local.train([seq]).delta, ctx.layout, trained);
        const enc = encodeDdg(delta, params, noiseRng, noiseBits);
        // The wire bytes are built only for a caller that reads them: their length follows from the layout.
        bytesPerClient = packedLength(enc.values.length, bits);
        count++;
        most = Math.max(most, ++uploads[i]!); // recorded before the upload leaves, as the SDK does
        if (onUpload) onUpload(pack(enc.values, bits), seq);
        const f = enc.clipped ? C / enc.norm : 1;
        for (let j = 0; j < Dt; j++) plain[j] = plain[j]! + delta[j]! * f;
        // The vector the packed bytes carry (pack and unpack are exact inverses, tested in @perch/learn/ddg).
        const v = enc.values;
        if (wantSecagg && held.length < o.ddg!.secaggDevices) held.push(v);
        else addModM(sum, v, bits);
      }
      released = count >= plan.minCohort;
      if (released) {
        if (held.length > 0) {
          const plainHeld = sumModM(held, bits);
          const run = held.length >= 3 ? await secaggSum(held, bits, `sim-${o.seed}-round-${r}`, secaggSeed(new Rng(o.seed * 7 + 5 + r))) : undefined;
          const bitIdentical = run !== undefined && run.sum.length === plainHeld.length && run.sum.every((x, j) => x === plainHeld[j]);
          if (run) {
            if (!bitIdentical) throw new Error(`round ${r}: the SecAgg+ sum of ${held.length} devices differs from their plain modular sum`);
            secagg = { round: r, devices: run.devices, k: run.k, t: run.t, bitIdentical, seconds: run.seconds, serverSeconds: run.serverSeconds, bytesUpPerDevice: run.bytesUp, bytesDownPerDevice: run.bytesDown };
          }
          addModM(sum, run?.sum ?? plainHeld, bits);
        }
        // The aggregator's check of the unmasked sum against the norm honest devices stay under (every device here is).
        const check = checkDdgSum(sum, params, count);
        ddgSum = { norm: check.norm, bound: check.bound };
        released = check.ok;
      }
      if (released) {
        const decoded = decodeDdgSum(sum, params, count);
        let se = 0;
        for (let j = 0; j < Dt; j++) se += (decoded[j]! - plain[j]!) ** 2;
        ddgError = { rms: Math.sqrt(se / Dt), expected: Math.sqrt(count * (plan.gamma ** 2 / 4 + plan.sigma ** 2)) };
        ({ stepNorm } = await server.releaseSum(expandTensors(decoded, ctx.layout, trained), count, global));
      }
    } else {
      const payloads: Uint8Array[] = [];
      for (const i of cohortOf(r)) {
        const seq = ctx.clients[i]!;
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
      ({ count, stepNorm } = await server.round(r, payloads, global));
    }
    const log: RoundLog = { round: r, clients: count, ...spent(), bytesPerClient, stepNorm, seconds: 0, released, ...(ddgError ? { ddgError } : {}), ...(ddgSum ? { ddgSum } : {}) };
    if (r % o.evalEvery === 0 || r === o.rounds || centralDone()) {
      model.invalidate();
      log.ranks = new Int32Array(ctx.test.length);
      log.test = evaluate(new ModelScorer(model, ctx.maxLen), ctx.test, ctx.dims.numItems, 64, undefined, log.ranks);
    }
    log.seconds = (performance.now() - t0) / 1000;
    logs.push(log);
    onRound?.(log);
  }
  return { logs, ...spent(), bytesPerClient, ...(plan ? { ddg: plan, maxUploads: most } : {}), ...(secagg ? { secagg } : {}) };
}

/**
 * The devices asked in round r, in client order. Poisson: every device's coin is flipped each round (the same
 * draws, in the same order, whether or not the device then trains). Cyclic: the next round(q · n) devices of the
 * client order, wrapping (the clients are already in a seeded shuffled order).
 */
function participants(mode: 'poisson' | 'cyclic', q: number, n: number, coins: Rng): (r: number) => number[] {
  if (mode === 'poisson') return () => { const out: number[] = []; for (let i = 0; i < n; i++) if (shouldParticipate(q, coins)) out.push(i); return out; };
  const k = Math.max(1, Math.min(n, Math.round(q * n)));
  return (r) => {
    const out: number[] = [];
    for (let j = 0; j < k; j++) out.push(((r - 1) * k + j) % n);
    return out.sort((a, b) => a - b);
  };
}

/** A round-public SecAgg+ graph seed (32 bytes, base64url) from the seeded generator. */
function secaggSeed(rng: Rng): string {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i += 4) new DataView(b.buffer).setUint32(i, rng.nextU32());
  return toB64(b);
}
