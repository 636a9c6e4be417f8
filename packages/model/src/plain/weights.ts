import { identity, weightShapes, type ModelDims, type Weights } from '../spec.js';
import type { Rng } from '../rng.js';

/** Number of elements of a shape. */
export const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Zero tensors with the spec's shapes. */
export function zeroWeights(dims: ModelDims): Weights {
  const w: Weights = {};
  for (const [name, shape] of Object.entries(weightShapes(dims))) w[name] = new Float32Array(sizeOf(shape));
  return w;
}

/**
 * Initial weights: embeddings N(0, 1/√d)·embScale with padding rows zero, GRU matrices uniform ±1/√h
 * (the usual RNN init), output projection Glorot-uniform, biases zero, the attribute transform the identity.
 */
export function initWeights(dims: ModelDims, rng: Rng, embScale = 0.5): Weights {
  const w = zeroWeights(dims);
  const { dim: d, hidden: h } = dims;
  const normal = (t: Float32Array, std: number, from = 0): void => { for (let i = from; i < t.length; i++) t[i] = rng.normal() * std; };
  const uniform = (t: Float32Array, a: number): void => { for (let i = 0; i < t.length; i++) t[i] = (rng.next() * 2 - 1) * a; };
  const es = embScale / Math.sqrt(d);
  normal(w.item_emb!, es, d);
  normal(w.attr_emb!, es, d);
  w.attr_tr!.set(identity(d));
  normal(w.event_emb!, es * 0.1);
  normal(w.gap_emb!, es * 0.1);
  uniform(w.gru_wx!, 1 / Math.sqrt(h));
  uniform(w.gru_wh!, 1 / Math.sqrt(h));
  uniform(w.out_w!, Math.sqrt(6 / (h + d)));
  uniform(w.intent_w!, 1 / Math.sqrt(h));
  uniform(w.cat_w!, Math.sqrt(6 / (h + dims.numCategories)));
  return w;
}

/** Throws when any weight is NaN/±Inf, naming the tensor: a diverged model must never be written. */
export function assertFinite(w: Weights): void {
  for (const [name, t] of Object.entries(w)) {
    for (let i = 0; i < t.length; i++) if (!Number.isFinite(t[i]!)) throw new Error(`weight ${name}[${i}] is ${t[i]}: training diverged`);
  }
}
