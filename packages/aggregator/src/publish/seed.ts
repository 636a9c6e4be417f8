/** The initial model: from `--model DIR` (an export), or a built-in tiny random model generated deterministically. */
import type { VocabJson } from '@perch/model/export';
import { gaussian } from '@perch/learn/privacy';
import { weightShapes, type ModelDims, type Weights } from '@perch/model/spec';
import { readModelDir, type ModelSource } from './format.js';
import { Rng } from '@perch/model/rng';

export const TINY_DIMS: ModelDims = { numItems: 50, numAttrs: 10, numCategories: 5, dim: 16, hidden: 16 };

/**
 * A synthetic vocabulary matching `dims` (item i has attribute 1 + i mod A and category i mod C) and synthetic
 * item counts (every fifth item never seen, the others 1–11 times), so devices exercise the counted recipe.
 */
export function tinyVocab(dims: ModelDims): VocabJson {
  const items = ['', ...Array.from({ length: dims.numItems }, (_, i) => `item-${i + 1}`)];
  return {
    items,
    attrs: ['', ...Array.from({ length: dims.numAttrs }, (_, i) => `attr-${i + 1}`)],
    itemAttrs: items.map((_, r) => (r === 0 || dims.numAttrs === 0 ? [] : [1 + ((r - 1) % dims.numAttrs)])),
    categories: Array.from({ length: dims.numCategories }, (_, i) => `category-${i + 1}`),
    itemCategory: items.map((_, r) => (r - 1 + dims.numCategories) % dims.numCategories),
    itemCounts: items.map((_, r) => (r === 0 || r % 5 === 0 ? 0 : 1 + ((r * 7) % 11))),
  };
}

/** Deterministic N(0, 0.05²) weights (biases zero) for tests and benchmarks. */
export function tinyRandomModel(dims: ModelDims = TINY_DIMS, seed = 42): ModelSource {
  const g = gaussian(new Rng(seed));
  const weights: Weights = {};
  for (const [name, shape] of Object.entries(weightShapes(dims))) {
    const n = shape.reduce((a, b) => a * b, 1);
    weights[name] = shape.length === 1 ? new Float32Array(n) : Float32Array.from({ length: n }, () => 0.05 * g());
  }
  return { dims, weights, vocab: tinyVocab(dims), quantization: 'none' };
}

export function loadSeedModel(modelDir: string | undefined, dims?: ModelDims): Promise<ModelSource> {
  return modelDir ? readModelDir(modelDir) : Promise.resolve(tinyRandomModel(dims));
}
