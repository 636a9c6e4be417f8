/** The initial model: from `--model DIR`, or a built-in tiny random model generated deterministically. */
import { gaussian, seededRng } from '@perch/model/privacy/index.ts';
import { weightShapes, type ModelDims, type Weights } from '@perch/model/spec.ts';
import { readModelDir } from './format.js';

export const TINY_DIMS: ModelDims = { numItems: 50, numAttrs: 10, numCategories: 5, dim: 16, hidden: 16 };

/** Deterministic N(0, 0.05²) weights (biases zero) for tests and benchmarks. */
export function tinyRandomModel(dims: ModelDims = TINY_DIMS, seed = 42): { dims: ModelDims; weights: Weights } {
  const g = gaussian(seededRng(seed));
  const weights: Weights = {};
  for (const [name, shape] of Object.entries(weightShapes(dims))) {
    const n = shape.reduce((a, b) => a * b, 1);
    weights[name] = shape.length === 1 ? new Float32Array(n) : Float32Array.from({ length: n }, () => 0.05 * g());
  }
  return { dims, weights };
}

export function loadSeedModel(modelDir: string | undefined, dims?: ModelDims): { dims: ModelDims; weights: Weights } {
  return modelDir ? readModelDir(modelDir) : tinyRandomModel(dims);
}
