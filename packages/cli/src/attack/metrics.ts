/**
 * How well a ranking names what a device touched, and what a random ranking would score: top-k recovery
 * (|top-k ∩ touched| / min(k, |touched|)) and hit@k (at least one touched row in the top k), their exact chance
 * levels for a uniformly random ranking of n rows (hypergeometric), and percentile bootstrap intervals of a mean
 * over devices, resampled within strata (one stratum per seed).
 */
import { Rng } from '@perch/model/rng';

/** The k rows of 1..scores.length−1 with the highest scores, best first; equal scores are ordered by `tie` (higher first). */
export function topK(scores: ArrayLike<number>, k: number, tie: ArrayLike<number>): Int32Array {
  const best: number[] = [];
  const above = (i: number, j: number): boolean => scores[i]! > scores[j]! || (scores[i] === scores[j] && tie[i]! > tie[j]!);
  for (let i = 1; i < scores.length; i++) {
    if (best.length === k && !above(i, best[k - 1]!)) continue;
    let p = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push(i);
    while (p > 0 && above(i, best[p - 1]!)) { best[p] = best[p - 1]!; p--; }
    best[p] = i;
  }
  return Int32Array.from(best);
}

/** Random tie-break keys for rows 0..n (one set per upload: a tie never favours low row numbers). */
export function tieKeys(n: number, rng: Rng): Float64Array {
  const t = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) t[i] = rng.next();
  return t;
}

export interface Outcome { recovery: number; hit: number }

/** Recovery and hit of a top-k list against the touched rows (ascending, as DeviceUploads holds them). */
export function outcome(top: Int32Array, touched: Int32Array): Outcome {
  const set = new Set(touched);
  let h = 0;
  for (const i of top) if (set.has(i)) h++;
  return { recovery: touched.length > 0 ? h / Math.min(top.length, touched.length) : 0, hit: h > 0 ? 1 : 0 };
}

/** Expected recovery and hit of a uniformly random top-k among n rows when t of them were touched. */
export function chance(n: number, t: number, k: number): Outcome {
  if (t <= 0) return { recovery: 0, hit: 0 };
  let miss = 1; // P(no touched row among k drawn without replacement)
  for (let j = 0; j < k; j++) miss *= Math.max(0, n - t - j) / (n - j);
  return { recovery: (k * t) / n / Math.min(k, t), hit: 1 - miss };
}

export interface Interval { mean: number; lo: number; hi: number }

/**
 * Mean of per-device values with a 95 % percentile bootstrap interval: each resample draws every stratum's
 * devices with replacement (strata = `strata[i]`, e.g. the seed; one stratum when omitted).
 */
export function bootstrapMean(values: ArrayLike<number>, o: { strata?: ArrayLike<number>; resamples?: number; seed?: number } = {}): Interval {
  const n = values.length, R = o.resamples ?? 2000;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN };
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) { const s = o.strata ? o.strata[i]! : 0; (groups.get(s) ?? groups.set(s, []).get(s)!).push(i); }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const rng = new Rng(o.seed ?? 7), means = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (const g of groups.values()) for (let j = 0; j < g.length; j++) s += values[g[rng.int(g.length)]!]!;
    means[r] = s / n;
  }
  means.sort();
  return { mean: sum / n, lo: means[Math.floor(0.025 * (R - 1))]!, hi: means[Math.ceil(0.975 * (R - 1))]! };
}
