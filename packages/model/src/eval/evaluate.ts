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

/**
 * Full-ranking evaluation: every item is a candidate, items of the case's history are excluded (except the
 * target itself, which would otherwise be unrankable when a user repeats an item). `ranks`, when given
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
      const r = rankOf(out.subarray(i * width, (i + 1) * width), c.target, excluded, stamp);
      if (ranks) ranks[b + i] = r;
      acc.add(r);
    });
    onProgress?.(Math.min(cases.length, b + batch));
  }
  return acc.result();
}
