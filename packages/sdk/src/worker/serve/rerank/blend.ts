/**
 * Blending the shop's order with the model. Both sides become ranks in 0..1 before mixing, so the blend
 * weight means the same thing whatever the scale of the model's logits (a retrained model, int8 weights,
 * another catalog): 1 = first in the shop's list / best model score, 0 = last / worst.
 */

/**
 * Default blend weight (0 = shop order, 1 = model only). Chosen on the Beauty slice with the Perch model:
 * docs/experiments/2026-11-23-rerank-default-blend.md.
 */
export const DEFAULT_BLEND = 0.8;

/** Model-side value of an item the model knows nothing about: the middle, so it neither rises nor sinks. */
export const NEUTRAL = 0.5;

/** Shop-side value of position i in a list of n: 1 for the first, 0 for the last. */
export function shopRank(i: number, n: number): number {
  return n <= 1 ? 1 : 1 - i / (n - 1);
}

/**
 * Mid-rank percentile of each score among the non-null ones (ties share a value); null → NEUTRAL.
 * O(m log m) for m scored items.
 */
export function modelRanks(scores: readonly (number | null)[]): number[] {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (typeof s === 'number' && Number.isFinite(s)) idx.push(i);
  }
  const out = new Array<number>(scores.length).fill(NEUTRAL);
  const m = idx.length;
  if (m <= 1) return out;
  idx.sort((a, b) => (scores[a] as number) - (scores[b] as number));
  for (let lo = 0; lo < m; ) {
    let hi = lo;
    while (hi + 1 < m && scores[idx[hi + 1] as number] === scores[idx[lo] as number]) hi++;
    const r = (lo + hi) / 2 / (m - 1);
    for (let k = lo; k <= hi; k++) out[idx[k] as number] = r;
    lo = hi + 1;
  }
  return out;
}

/** Clamps a blend weight to 0..1 (NaN or missing → the default). */
export function blendWeight(b: number | undefined): number {
  if (b === undefined || !Number.isFinite(b)) return DEFAULT_BLEND;
  return Math.min(1, Math.max(0, b));
}

/** Final score per input index: (1 − b)·shopRank + b·modelRank. */
export function blendScores(modelScores: readonly (number | null)[], blend: number): number[] {
  const n = modelScores.length;
  const mr = modelRanks(modelScores);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = (1 - blend) * shopRank(i, n) + blend * (mr[i] as number);
  return out;
}
