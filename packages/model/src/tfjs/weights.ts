import * as tf from '@tensorflow/tfjs-core';
import { validateWeights, weightShapes, type ModelDims, type Weights } from '../spec.js';

// Moved to spec.ts (pure, no tfjs) so the export loader and writer do not pull tfjs-core into a bundle.
export { validateWeights };

/** The model's weights as trainable tfjs variables, keyed by the names of `spec.ts`. */
export type TfWeights = Record<string, tf.Variable>;

/** Uploads validated weights as variables (the copy is owned by the returned record). */
export function toVariables(dims: ModelDims, weights: Weights): TfWeights {
  validateWeights(dims, weights);
  const out: TfWeights = {};
  for (const [name, shape] of Object.entries(weightShapes(dims))) {
    const init = tf.tensor(weights[name] as Float32Array, shape, 'float32');
    out[name] = tf.variable(init, true, undefined, 'float32');
    init.dispose(); // the variable holds its own reference to the data

  }
  return out;
}

/** Reads the variables back into plain Float32Arrays (export, federated deltas, equality tests). */
export async function readVariables(vars: TfWeights): Promise<Weights> {
  const out: Weights = {};
  for (const [name, v] of Object.entries(vars)) out[name] = (await v.data()) as Float32Array;
  return out;
}

/** Returns the variable `name` or throws: every name of `weightShapes` is guaranteed by `toVariables`. */
export function need(vars: TfWeights, name: string): tf.Variable {
  const v = vars[name];
  if (!v) throw new Error(`weights: missing tensor "${name}"`);
  return v;
}
