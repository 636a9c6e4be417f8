import type { EvalCase } from '../data/split.js';
import { MetricAccumulator, rankOf, type Metrics } from './metrics.js';

/** Anything that scores the whole catalog for a batch of histories: the model and every baseline. */
export interface Scorer {
  readonly name: string;
  /**
   * Writes scores of rows 0..numItems for each case into out (cases.length × (numItems + 1), row-major).
   * Row 0 (padding) is ignored by the evaluator.
   */
  scoreBatch(cases: EvalCase[], out: Float32Array): void;
}

/** The rank of a target that cannot be recommended: below every cut-off, whatever the catalogue size. */
export const MISS = 0x7fffffff;

/** Whether a case's target is already in its history (a repeat: always a miss, see `evaluate`). */
export const isRepeat = (c: EvalCase): boolean => c.seq.items.subarray(0, c.prefixLen).includes(c.target);

/** Share of cases whose target is in their history (0 for no cases). */
export const repeatShare = (cases: EvalCase[]): number => (cases.length ? cases.filter(isRepeat).length / cases.length : 0);

/**
 * Full-ranking evaluation: every item is a candidate and the items of the case's history are excluded, the
 * target included, so a case whose target the user already had is a miss (rank `MISS`): S3-Rec's rule
 * (history scores zeroed before ranking) and that of RecTools' `filter_viewed` in the eSASRec benchmark. Keeping
 * a repeated target while excluding the rest of the history would tell the ranking which history item is the
 * answer. Such cases stay in the denominator; `repeatShare` says how many there are. `ranks`, when given
 * (length ≥ cases.length), receives each case's 0-based rank, for paired comparisons of two models.
 */
export function evaluate(scorer: Scorer, cases: EvalCase[], numItems: number, batch = 64, onProgress?: (done: number) => void, ranks?: Int32Array): Metrics {
  const acc = new MetricAccumulator();
  const width = numItems + 1;
  const out = new Float32Array(batch * width);
  const excluded = new Int32Array(width);
  let stamp = 0;
  for (let b = 0; b < cases.length; b += batch) {
    const chunk = cases.slice(b, b + batch);
    scorer.scoreBatch(chunk, out);
    chunk.forEach((c, i) => {
      stamp++;
      for (let t = 0; t < c.prefixLen; t++) excluded[c.seq.items[t]!] = stamp;
      const r = excluded[c.target] === stamp ? MISS : rankOf(out.subarray(i * width, (i + 1) * width), c.target, excluded, stamp);
      if (ranks) ranks[b + i] = r;
      acc.add(r);
    });
    onProgress?.(Math.min(cases.length, b + batch));
  }
  return acc.result();
}
