/**
 * The server optimiser: how a round's released aggregate Δ (mean of the clipped, possibly noised deltas)
 * becomes the step applied to the global dense weights. It treats Δ as a pseudo-gradient (Reddi et al. 2021,
 * "Adaptive Federated Optimization"):
 * - `sgd`: step = η·m, m = β·m + Δ (β = 0, η = 1 is plain FedAvg; β > 0 is FedAvgM);
 * - `adam` (FedAdam): m = β₁m + (1−β₁)Δ, v = β₂v + (1−β₂)Δ², step = η·m̂ / (√v̂ + τ), β₁ = 0.9, β₂ = 0.99,
 *   with m̂, v̂ bias-corrected (Kingma & Ba) when `biasCorrection` is on, else m̂ = m, v̂ = v (the paper's form).
 *   Per-coordinate step sizes: dense tensors whose deltas are small (GRU, heads) move as much as those with
 *   large ones.
 * It only post-processes the released aggregate, so it costs no privacy. Its state (m, v, t) belongs to the
 * model version it produced: the aggregator stores it with the version in the same transaction, and the
 * simulator keeps it in memory; both call `serverStep`.
 */

export interface ServerOptimizer {
  kind: 'sgd' | 'adam';
  /** η. */
  learningRate: number;
  /** β of `sgd` (0 = no momentum). */
  momentum?: number;
  /** τ of `adam` (default 1e-3). */
  tau?: number;
  /** Bias correction of `adam`'s moments (default off). */
  biasCorrection?: boolean;
  /**
   * Linear warm-up: step t (1-based) uses η·min(1, t/warmup) (default 0 = none). Adam's first steps are
   * about η·sign(Δ) on every coordinate, also on those whose mean is mostly sampling or DP noise; ramping η
   * up while v̂ learns the noise level keeps those steps from undoing the start.
   */
  warmupRounds?: number;
  /**
   * Linear decay: step t uses η·(1 − 0.9·min(1, (t − 1)/decay)), down to 10 % of η at step `decay` and after
   * (default 0 = none). Under DP noise, smaller late steps average the noise of more rounds into the weights.
   */
  decayRounds?: number;
}

/** State carried from one round to the next: the moments and the number of steps taken. */
export interface ServerOptimizerState { m: Float32Array; v: Float32Array | null; t: number }

export function initialState(o: ServerOptimizer, size: number): ServerOptimizerState {
  return { m: new Float32Array(size), v: o.kind === 'adam' ? new Float32Array(size) : null, t: 0 };
}

/** Whether `o` needs state across rounds: moments, or the step count of a warm-up or decay (plain FedAvg needs none). */
export const isStateful = (o: ServerOptimizer): boolean => o.kind === 'adam' || (o.momentum ?? 0) > 0 || (o.warmupRounds ?? 0) > 0 || (o.decayRounds ?? 0) > 0;

/**
 * One server step: returns the step to add to the flat dense weights and the next state (`state` itself is
 * not modified). Throws on a state of the wrong size (a layout change between versions).
 */
export function serverStep(delta: Float32Array, state: ServerOptimizerState, o: ServerOptimizer): { step: Float32Array; state: ServerOptimizerState } {
  const n = delta.length;
  if (state.m.length !== n || (o.kind === 'adam' && state.v?.length !== n)) throw new RangeError(`server optimiser state has ${state.m.length} values, the delta ${n}`);
  const m = new Float32Array(state.m), step = new Float32Array(n), t = state.t + 1;
  const warm = o.warmupRounds && o.warmupRounds > 0 ? Math.min(1, t / o.warmupRounds) : 1;
  const decay = o.decayRounds && o.decayRounds > 0 ? 1 - 0.9 * Math.min(1, (t - 1) / o.decayRounds) : 1;
  const lr = o.learningRate * warm * decay;
  if (o.kind === 'sgd') {
    const beta = o.momentum ?? 0;
    for (let i = 0; i < n; i++) { m[i] = beta * m[i]! + delta[i]!; step[i] = lr * m[i]!; }
    return { step, state: { m, v: null, t } };
  }
  const v = new Float32Array(state.v!), tau = o.tau ?? 1e-3;
  const c1 = o.biasCorrection ? 1 - 0.9 ** t : 1, c2 = o.biasCorrection ? 1 - 0.99 ** t : 1;
  for (let i = 0; i < n; i++) {
    const d = delta[i]!;
    m[i] = 0.9 * m[i]! + 0.1 * d;
    v[i] = 0.99 * v[i]! + 0.01 * d * d;
    step[i] = (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + tau);
  }
  return { step, state: { m, v, t } };
}

/**
 * Names under which the state is stored beside a version's weights (the store's tensor table). They are not
 * model tensors: the published files never contain them, only the next round's close reads them.
 */
export const STATE_TENSORS = ['server_opt.m', 'server_opt.v', 'server_opt.t'] as const;

export function stateTensors(s: ServerOptimizerState): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = { 'server_opt.m': s.m, 'server_opt.t': Float32Array.of(s.t) };
  if (s.v) out['server_opt.v'] = s.v;
  return out;
}

/**
 * The state stored with a version, or undefined when there is none that fits `o` and `size` (the seed
 * version, a version published by plain FedAvg, a switch from sgd to adam, a layout change): the optimiser
 * then starts afresh, which is always safe.
 */
export function stateFromTensors(t: Record<string, Float32Array>, o: ServerOptimizer, size: number): ServerOptimizerState | undefined {
  const m = t['server_opt.m'], v = t['server_opt.v'], steps = t['server_opt.t'];
  if (!m || m.length !== size || !steps || steps.length !== 1) return undefined;
  if (o.kind === 'adam' && (!v || v.length !== size)) return undefined;
  return { m, v: o.kind === 'adam' ? v! : null, t: steps[0]! };
}
