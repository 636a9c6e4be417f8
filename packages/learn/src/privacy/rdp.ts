/**
 * Rényi differential privacy of the sampled Gaussian mechanism, and conversion to (ε, δ)-DP.
 *
 * Mechanism: with probability q a record (here: a device) is included, its contribution is clipped to L2 norm
 * C and Gaussian noise N(0, (zC)²) is added (add/remove-one adjacency, Poisson sampling).
 *
 * RDP at integer order α (Mironov, Talwar, Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian
 * Mechanism", Sec. 3.3, exact binomial expansion):
 *   A_α = Σ_{k=0..α} C(α,k) (1−q)^{α−k} q^k exp((k² − k) / (2 z²)),   RDP(α) = log(A_α) / (α − 1).
 * For q = 1 this is the plain Gaussian mechanism, RDP(α) = α / (2 z²) (Mironov 2017, Prop. 7).
 * RDP composes additively over rounds (Mironov 2017, Prop. 1).
 *
 * Conversion (Balle et al. 2020, "Hypothesis testing interpretations and Rényi DP", Thm. 21; also Canonne,
 * Kamath, Steinke 2020, Prop. 12): ε = RDP(α) + log((α−1)/α) − (log δ + log α)/(α − 1), minimised over α.
 * It is never worse than the classic ε = RDP(α) + log(1/δ)/(α − 1) (Mironov 2017, Prop. 3), also exported.
 * Everything is computed in log space, so large orders do not overflow.
 */

/** Integer orders used by default: dense where small-q optima fall, sparse up to 256. */
export const DEFAULT_ORDERS: readonly number[] = [
  ...Array.from({ length: 63 }, (_, i) => i + 2), // 2..64
  72, 80, 96, 112, 128, 160, 192, 224, 256,
];

/** log(e^a + e^b) without overflow. */
function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(Math.min(a, b) - m));
}

/** log A_α for integer α ≥ 2 and 0 < q < 1 (binomial expansion, log binomials built incrementally). */
function logAInt(q: number, z: number, alpha: number): number {
  const logq = Math.log(q), log1mq = Math.log1p(-q);
  let logBinom = 0; // log C(α, 0)
  let acc = -Infinity;
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logBinom += Math.log(alpha - k + 1) - Math.log(k);
    acc = logAdd(acc, logBinom + k * logq + (alpha - k) * log1mq + (k * k - k) / (2 * z * z));
  }
  return acc;
}

function checkArgs(q: number, z: number, orders: readonly number[]): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling probability must be in [0, 1], got ${q}`);
  if (!(z >= 0) || Number.isNaN(z)) throw new RangeError(`noise multiplier must be ≥ 0, got ${z}`);
  for (const a of orders) if (!Number.isInteger(a) || a < 2) throw new RangeError(`orders must be integers ≥ 2, got ${a}`);
}

/**
 * RDP of one application of the sampled Gaussian mechanism at each order (multiply by the number of
 * applications to compose). `q` sampling probability, `z` noise multiplier (noise std / L2 sensitivity).
 */
export function computeRdpSampledGaussian(q: number, z: number, orders: readonly number[] = DEFAULT_ORDERS): number[] {
  checkArgs(q, z, orders);
  return orders.map((alpha) => {
    if (q === 0) return 0;
    if (z === 0) return Infinity;
    if (q === 1) return alpha / (2 * z * z);
    return logAInt(q, z, alpha) / (alpha - 1);
  });
}

export interface EpsilonResult { epsilon: number; order: number }

/**
 * Smallest ε over the orders such that the mechanism with these RDP values is (ε, δ)-DP, using the improved
 * conversion (see file header). Also uses ε = 0 when δ alone covers it through the KL bound
 * δ ≥ sqrt(1 − exp(−RDP)) (Pinsker-type bound, as the reference accountants do).
 */
export function rdpToEpsilon(orders: readonly number[], rdp: readonly number[], delta: number): EpsilonResult {
  if (orders.length !== rdp.length || orders.length === 0) throw new RangeError('orders and rdp must have the same, non-zero length');
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
  let best: EpsilonResult = { epsilon: Infinity, order: orders[0]! };
  orders.forEach((a, i) => {
    const r = rdp[i]!;
    let eps: number;
    if (r <= 0) eps = 0;
    else if (delta * delta + Math.expm1(-r) > 0) eps = 0;
    else eps = r + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    if (eps < best.epsilon) best = { epsilon: Math.max(0, eps), order: a };
  });
  return best;
}

/** The classic conversion ε = min_α RDP(α) + log(1/δ)/(α − 1) (Mironov 2017, Prop. 3): looser, for comparison. */
export function rdpToEpsilonClassic(orders: readonly number[], rdp: readonly number[], delta: number): EpsilonResult {
  let best: EpsilonResult = { epsilon: Infinity, order: orders[0]! };
  orders.forEach((a, i) => {
    const eps = rdp[i]! + Math.log(1 / delta) / (a - 1);
    if (eps < best.epsilon) best = { epsilon: eps, order: a };
  });
  return best;
}
