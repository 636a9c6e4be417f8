import type { Sequence } from './types.js';

/** One evaluation case: rank `target` after `prefix` (and any event kinds/gaps of the prefix). */
export interface EvalCase {
  seq: Sequence;
  /** Number of leading events of seq used as history. */
  prefixLen: number;
  target: number;
}

/** The leave-one-out split (S3-Rec/SASRec protocol). */
export interface Split {
  /** Training sequences: each sequence minus its last two events (views into the originals). */
  train: Sequence[];
  /** Predict the second-to-last event from everything before it. */
  val: EvalCase[];
  /** Predict the last event from everything before it (including the validation event). */
  test: EvalCase[];
}

/** A prefix view of a sequence (no copy). */
export function prefix(seq: Sequence, n: number): Sequence {
  return { key: seq.key, items: seq.items.subarray(0, n), kinds: seq.kinds.subarray(0, n), gaps: seq.gaps.subarray(0, n) };
}

/**
 * Leave-one-out per sequence. Sequences with fewer than 3 events cannot give a training prefix plus both
 * targets: they go to training whole and are not evaluated (SASRec's convention). Training prefixes of length 1
 * are kept (they still feed popularity statistics) although they hold no transition.
 */
export function leaveOneOut(seqs: Sequence[]): Split {
  const split: Split = { train: [], val: [], test: [] };
  for (const s of seqs) {
    const n = s.items.length;
    if (n < 3) { split.train.push(s); continue; }
    split.train.push(prefix(s, n - 2));
    split.val.push({ seq: s, prefixLen: n - 2, target: s.items[n - 2]! });
    split.test.push({ seq: s, prefixLen: n - 1, target: s.items[n - 1]! });
  }
  return split;
}
