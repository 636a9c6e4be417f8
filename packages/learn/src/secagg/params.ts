/**
 * SecAgg+ parameters: the neighbourhood size k (degree of the random Harary graph) and the Shamir threshold t for
 * a cohort of n devices, from the security and correctness targets the device and the server both pin.
 *
 * Model (Bell et al., CCS 2020, semi-honest setting): a fraction γ of the devices collude with the server, a
 * fraction δ drop out; the graph is the Harary graph H(n, k) (each device linked to the k/2 nearest positions on
 * either side) on a random ordering, so a device's neighbours are close to a uniform sample and the number of bad
 * ones is taken as Binomial(k, ·) (sampling without replacement has the lighter tail, so this is conservative).
 * k is the smallest even degree for which some t satisfies, with a union bound over the n devices:
 *   privacy      n · P[Bin(k, γ) ≥ t]          ≤ 2^-σ   (no honest device has t colluding neighbours)
 *   connectivity n · (γ + δ)^(k/2)             ≤ 2^-σ   (the honest survivors' graph stays connected: H(n, k)
 *                                                          splits only where k/2 consecutive positions are lost)
 *   correctness  n · P[Bin(k, γ + δ) > k − t]  ≤ 2^-η   (every device keeps t neighbours that answer)
 * and t is the smallest value meeting the privacy bound. When no k < n − 1 works, the graph is complete (the
 * Bonawitz et al. CCS 2017 protocol) and `feasible` says whether the bounds hold there.
 */
export interface SecurityTargets {
  /** Fraction of the cohort assumed to collude with the server. */
  gamma: number;
  /** Fraction of the cohort assumed to drop out during the round. */
  delta: number;
  /** Statistical security: privacy fails with probability at most 2^-sigma. */
  sigma: number;
  /** Correctness: the round fails to unmask with probability at most 2^-eta. */
  eta: number;
}

export const DEFAULT_TARGETS: SecurityTargets = { gamma: 0.05, delta: 0.3, sigma: 40, eta: 30 };

/** The library's Shamir scheme works in GF(256): at most 255 shares, threshold at least 2. */
export const MAX_DEGREE = 255;
export const MIN_THRESHOLD = 2;

export interface GraphParams {
  /** Neighbours per device (n − 1 for the complete graph). */
  k: number;
  /** Shares needed to reconstruct a device's secrets. */
  t: number;
  /** Whether the bounds above hold at this (k, t). */
  feasible: boolean;
}

function log2Choose(n: number, r: number): number {
  let s = 0;
  for (let i = 1; i <= r; i++) s += Math.log2((n - r + i) / i);
  return s;
}

/** log2 P[Bin(k, p) ≥ a], summed in the log domain so that small tails do not underflow. */
export function log2BinomialTail(k: number, p: number, a: number): number {
  if (a <= 0) return 0;
  if (a > k || p <= 0) return -Infinity;
  if (p >= 1) return 0;
  let max = -Infinity;
  const terms: number[] = [];
  const lp = Math.log2(p), lq = Math.log2(1 - p);
  let c = log2Choose(k, a); // log2 C(k, i), updated term by term (C(k, i+1) = C(k, i)·(k − i)/(i + 1))
  for (let i = a; i <= k; i++) {
    if (i > a) c += Math.log2((k - i + 1) / i);
    const l = c + i * lp + (k - i) * lq;
    terms.push(l);
    if (l > max) max = l;
  }
  let s = 0;
  for (const l of terms) s += 2 ** (l - max);
  return Math.min(0, max + Math.log2(s));
}

function check(n: number, k: number, targets: SecurityTargets): { t: number; ok: boolean } {
  const { gamma, delta, sigma, eta } = targets;
  const ln = Math.log2(n);
  let t = MIN_THRESHOLD;
  while (t <= k && ln + log2BinomialTail(k, gamma, t) > -sigma) t++;
  if (t > k) return { t: k, ok: false };
  const q = Math.min(1, gamma + delta);
  const connected = k >= n - 1 || ln + (k / 2) * Math.log2(q) <= -sigma;
  const correct = ln + log2BinomialTail(k, q, k - t + 1) <= -eta;
  return { t, ok: connected && correct };
}

/** The (k, t) a cohort of `n` devices runs with under `targets` (see the file header for the bounds). */
export function chooseParams(n: number, targets: SecurityTargets = DEFAULT_TARGETS): GraphParams {
  if (!Number.isInteger(n) || n < 3) throw new RangeError(`chooseParams: cohort ${n} is below 3`);
  for (let k = 2; k < n - 1 && k <= MAX_DEGREE; k += 2) {
    const r = check(n, k, targets);
    if (r.ok) return { k, t: r.t, feasible: true };
  }
  const k = Math.min(n - 1, MAX_DEGREE);
  const r = check(n, k, targets);
  return { k, t: Math.min(r.t, k), feasible: r.ok && k === n - 1 };
}

/**
 * The (k, t) a server announces for an expected cohort of `n`: `chooseParams` when its bounds hold with a sparse
 * graph; otherwise (small cohorts, where they cannot short of the complete graph) the complete graph, kept even and
 * at most 254, with the threshold `chooseParams` gives.
 */
export function graphForCohort(n: number): { k: number; t: number } {
  const p = chooseParams(n);
  if (p.feasible && p.k < n - 1) return { k: p.k, t: p.t };
  return { k: Math.min(254, n - 1 + ((n - 1) % 2)), t: Math.min(p.t, n - 1) };
}

/** The largest cohort admitted for an expected cohort of K: ⌈K + 4√K⌉ (sampled devices beyond it are turned away). */
export const maxCohortFor = (expected: number): number => Math.ceil(expected + 4 * Math.sqrt(expected));
