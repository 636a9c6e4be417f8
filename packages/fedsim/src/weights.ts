/** Small helpers over named weights: copies, the shared-dense subset, and clearing sparse gradient rows. */
import { SHARED_DENSE_WEIGHTS, type Weights } from '@perch/model/spec.js';
import type { BatchStep } from '@perch/model/plain/batch.js';

/** Deep copy of every tensor. */
export const cloneWeights = (w: Weights): Weights => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v.slice()]));

/** The shared dense tensors of `w` (same arrays, not copies). */
export const denseOf = (w: Weights): Weights => Object.fromEntries(SHARED_DENSE_WEIGHTS.map((k) => [k, w[k]!]));

/**
 * Zeroes the item/attribute gradient rows a BatchStep touched (instead of clearing the whole V×d arrays):
 * used where embeddings are frozen and their gradients are discarded.
 */
export function clearSparseGrads(g: Weights, step: BatchStep, dim: number): void {
  const E = g.item_emb!, b = g.item_bias!, A = g.attr_emb!;
  for (let u = 0; u < step.touchedCount; u++) { const i = step.rows[u]!; E.fill(0, i * dim, i * dim + dim); b[i] = 0; }
  const stamp = step.currentStamp;
  for (let a = 0; a < step.attrStamp.length; a++) if (step.attrStamp[a] === stamp) A.fill(0, a * dim, a * dim + dim);
}
