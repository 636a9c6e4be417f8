/**
 * Paired comparison of two models on the same test cases: the difference in HR@20 and NDCG@20 with a 95 %
 * bootstrap interval over cases. Both models rank the same users' held-out events, so most of the
 * case-to-case variance cancels: the interval of the difference is much narrower than the two figures'
 * separate standard errors would suggest. "Clearly better" in the reports means the interval excludes 0.
 */
import { hitAt, ndcgAt } from '@perch/model/eval';
import { Rng } from '@perch/model/rng';

export interface PairedDelta {
  /** Mean per-case difference (b − a). */
  delta: number;
  /** 2.5th and 97.5th percentiles of the bootstrap distribution of the mean difference. */
  lo: number;
  hi: number;
}


/** Differences of HR@k and NDCG@k (b − a) from 0-based ranks of the same cases; `resamples` bootstrap draws. */
export function pairedDelta(a: ArrayLike<number>, b: ArrayLike<number>, o: { k?: number; resamples?: number; seed?: number } = {}): { hr: PairedDelta; ndcg: PairedDelta } {
  const n = a.length, k = o.k ?? 20, R = o.resamples ?? 2000;
  if (n === 0 || b.length !== n) throw new RangeError(`pairedDelta needs two rank lists of the same non-zero length (${n}, ${b.length})`);
  const dh = new Float64Array(n), dn = new Float64Array(n);
  for (let i = 0; i < n; i++) { dh[i] = hitAt(b[i]!, k) - hitAt(a[i]!, k); dn[i] = ndcgAt(b[i]!, k) - ndcgAt(a[i]!, k); }
  const rng = new Rng(o.seed ?? 7);
  const mh = new Float64Array(R), mn = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let sh = 0, sn = 0;
    for (let i = 0; i < n; i++) { const j = Math.floor(rng.next() * n); sh += dh[j]!; sn += dn[j]!; }
    mh[r] = sh / n; mn[r] = sn / n;
  }
  const ci = (d: Float64Array, m: Float64Array): PairedDelta => {
    const s = Float64Array.from(m).sort();
    return { delta: d.reduce((x, y) => x + y, 0) / n, lo: s[Math.floor(0.025 * (R - 1))]!, hi: s[Math.ceil(0.975 * (R - 1))]! };
  };
  return { hr: ci(dh, mh), ndcg: ci(dn, mn) };
}
