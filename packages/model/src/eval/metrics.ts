/** Cut-offs reported everywhere. */
export const KS = [5, 10, 20] as const;

/** HR@k, NDCG@k for k in KS and MRR@20, averaged over cases. */
export type Metrics = Record<string, number>;

/**
 * Rank (0-based) of `target` among items 1..scores.length-1, skipping excluded rows. Ties are counted
 * pessimistically: every other candidate scoring ≥ the target is ranked above it, so a constant scorer
 * gets the worst rank rather than a lucky one. A non-finite target score gets the worst rank.
 * `excluded` holds rows to skip (marks with value === stamp), so one array is reused without clearing.
 */
export function rankOf(scores: ArrayLike<number>, target: number, excluded?: Int32Array, stamp = 1): number {
  const st = scores[target]!;
  const n = scores.length;
  if (!Number.isFinite(st)) return n;
  let rank = 0;
  for (let j = 1; j < n; j++) {
    if (j === target || (excluded !== undefined && excluded[j] === stamp)) continue;
    if (scores[j]! >= st) rank++;
  }
  return rank;
}

/** One case's HR@k and NDCG@k terms from its 0-based rank (what the accumulator averages). */
export const hitAt = (rank: number, k: number): number => (rank < k ? 1 : 0);
export const ndcgAt = (rank: number, k: number): number => (rank < k ? 1 / Math.log2(rank + 2) : 0);

/** Accumulates ranks into the standard metrics. */
export class MetricAccumulator {
  private n = 0;
  private readonly sums: Metrics = {};

  /** Adds one case's 0-based rank. */
  add(rank: number): void {
    this.n++;
    for (const k of KS) {
      if (rank < k) {
        this.sums[`HR@${k}`] = (this.sums[`HR@${k}`] ?? 0) + hitAt(rank, k);
        this.sums[`NDCG@${k}`] = (this.sums[`NDCG@${k}`] ?? 0) + ndcgAt(rank, k);
      }
    }
    if (rank < 20) this.sums['MRR@20'] = (this.sums['MRR@20'] ?? 0) + 1 / (rank + 1);
  }

  get count(): number { return this.n; }

  /** Means over the cases added so far (0 for an empty accumulator). */
  result(): Metrics {
    const out: Metrics = {};
    for (const k of KS) out[`HR@${k}`] = this.mean(`HR@${k}`);
    for (const k of KS) out[`NDCG@${k}`] = this.mean(`NDCG@${k}`);
    out['MRR@20'] = this.mean('MRR@20');
    return out;
  }

  private mean(key: string): number { return this.n === 0 ? 0 : (this.sums[key] ?? 0) / this.n; }
}
