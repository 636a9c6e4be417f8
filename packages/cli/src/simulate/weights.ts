/** Small helpers over named weights: copies and the shared-dense subset. */
import { SHARED_DENSE_WEIGHTS, type Weights } from '@perch/model/spec';

/** Deep copy of every tensor. */
export const cloneWeights = (w: Weights): Weights => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v.slice()]));

/** The shared dense tensors of `w` (same arrays, not copies). */
export const denseOf = (w: Weights): Weights => Object.fromEntries(SHARED_DENSE_WEIGHTS.map((k) => [k, w[k]!]));
