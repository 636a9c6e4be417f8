/**
 * The "server" side of a simulated round, through the aggregator's own code: every payload is decoded and
 * checked against the layout (`decodeUpdate`), its weight capped as the aggregator does on upload, and the
 * round is aggregated by `aggregate(payloadSource(…))`, the exact path the aggregator takes when it closes
 * a round (dequantise + server-side clip to the upload bound, then the rule), with optional central noise
 * (`releaseMean`; in DP runs the sum is divided by the expected weight, not the realised one). The new
 * global dense weights come from the aggregator's server optimiser (`serverStep`,
 * aggregate/server-optimizer.ts), which treats the aggregate Δ as a pseudo-gradient:
 * - `sgdm`: w += η·m, m = β·m + Δ (FedAvgM; β = 0, η = 1 is plain FedAvg);
 * - `adam` (FedAdam, Reddi et al. 2021), optionally bias-corrected.
 * The optimiser only post-processes the released aggregate, so it costs no privacy.
 */
import { aggregate, centralNoiseProblem, releaseMean, roundWeighting, zeroFrozen, type AggregationRule, type RoundWeighting, initialState, serverStep, type ServerOptimizer, type ServerOptimizerState, payloadSource, type StoredPayload } from '@perch/learn/server';
import { decodeUpdate, flattenShared, unflatten, type Layout } from '@perch/learn/update';
import type { Rng } from '@perch/learn/privacy';
import type { Weights } from '@perch/model/spec';

export interface ServerOptions {
  rule: AggregationRule;
  /** Per-update L2 bound the server clips to (the aggregator uses C·√(1 + z²·d) when clients add noise). */
  bound: number;
  /** Cap of a claimed client weight in rounds without DP. */
  maxClientWeight: number;
  /** Central noise multiplier z_c (0 = off). */
  centralNoise: number;
  /**
   * A DP round (local or central noise): unit weights and FedAvg's fixed denominator `expectedClients`, as the
   * aggregator decides them (`roundWeighting`). Required with central noise.
   */
  dp: boolean;
  /** The expected clients of a round (q·N), the aggregator's `targetClients`: a DP round's fixed denominator. */
  expectedClients: number;
  /** The aggregator's server optimiser (FedAvg = sgd at η = 1). */
  optimizer: ServerOptimizer;
  /** Tensors the round's recipe freezes on the devices: their part of the noisy mean is zeroed, as the aggregator does. */
  frozen?: readonly string[];
}

export class SimServer {
  private state: ServerOptimizerState;
  private readonly weighting: RoundWeighting;
  rejected = 0;
  constructor(private readonly layout: Layout, private readonly o: ServerOptions, private readonly rng: Rng) {
    this.state = initialState(o.optimizer, layout.size);
    const noiseProblem = centralNoiseProblem(o.rule, o.centralNoise); // the aggregator's checkPolicy rule
    if (noiseProblem) throw new Error(noiseProblem);
    if (o.centralNoise > 0 && !o.dp) throw new Error('central noise makes a DP round: set dp');
    if (o.dp && !(o.expectedClients > 0)) throw new Error(`a DP round needs expectedClients (the fixed denominator) > 0, got ${o.expectedClients}`);
    this.weighting = roundWeighting({ dp: o.dp, rule: o.rule, maxClientWeight: o.maxClientWeight, expectedClients: o.expectedClients });
  }

  /**
   * Runs one round over the uploaded payloads and updates the dense tensors of `global` in place.
   * Returns the number of aggregated updates and the L2 norm of the applied step.
   */
  async round(roundId: number, payloads: Uint8Array[], global: Weights): Promise<{ count: number; stepNorm: number }> {
    const records: StoredPayload[] = [];
    for (const bytes of payloads) {
      const d = decodeUpdate(bytes, { layout: this.layout });
      if (!d.ok || d.update.roundId !== roundId) { this.rejected++; continue; }
      records.push({ key: d.update.key, weight: this.weighting.weightOf(d.update.clientWeight), payload: bytes });
    }
    if (records.length === 0) return { count: 0, stepNorm: 0 };
    const res = await aggregate(payloadSource(() => records, this.layout, this.o.bound), this.layout.size, { rule: this.o.rule });
    const { maxWeight, denominator } = this.weighting;
    const { delta } = releaseMean(res.delta, { multiplier: this.o.centralNoise, bound: this.o.bound, maxWeight, totalWeight: res.totalWeight, denominator, rng: this.rng });
    return { count: res.count, stepNorm: this.apply(delta, global) };
  }

  /**
   * A secure-aggregation round (`--noise ddg`): the server learns only the decoded sum of `count` unit-weight
   * updates, so it cannot decode or clip them one by one; the sum is released over the fixed denominator exactly
   * as `round` releases a mean (no central noise: the devices' noise is in the sum), then stepped.
   */
  async releaseSum(sum: Float32Array, count: number, global: Weights): Promise<{ count: number; stepNorm: number }> {
    if (!this.o.dp || this.o.centralNoise > 0) throw new Error('a secure-aggregation round is a DP round without central noise');
    if (count === 0) return { count: 0, stepNorm: 0 };
    const mean = new Float32Array(sum.length);
    for (let i = 0; i < sum.length; i++) mean[i] = sum[i]! / count;
    const { maxWeight, denominator } = this.weighting;
    const { delta } = releaseMean(mean, { multiplier: 0, bound: this.o.bound, maxWeight, totalWeight: count, denominator, rng: this.rng });
    return { count, stepNorm: this.apply(delta, global) };
  }

  /** The server optimiser's step on the released Δ (frozen tensors zeroed); returns the step's L2 norm. */
  private apply(delta: Float32Array, global: Weights): number {
    const flat = flattenShared(global, this.layout);
    const { step, state } = serverStep(zeroFrozen(delta, this.layout, this.o.frozen ?? []), this.state, this.o.optimizer);
    this.state = state;
    let sq = 0;
    for (let i = 0; i < flat.length; i++) { flat[i] = flat[i]! + step[i]!; sq += step[i]! * step[i]!; }
    for (const [k, v] of Object.entries(unflatten(flat, this.layout))) global[k]!.set(v);
    return Math.sqrt(sq);
  }
}
