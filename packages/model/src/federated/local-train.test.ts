import { describe, expect, it } from 'vitest';
import { localTrain } from './local-train.js';
import { initWeights } from '../plain/weights.js';
import { Rng } from '../plain/rng.js';
import { makeLayout } from '../privacy/flatten.js';
import { SHARED_DENSE_WEIGHTS, weightShapes, type ModelDims } from '../spec.js';
import type { Sequence } from '../data/types.js';

const dims: ModelDims = { numItems: 30, numAttrs: 4, numCategories: 3, dim: 8, hidden: 8 };
const layout = makeLayout(weightShapes(dims), SHARED_DENSE_WEIGHTS);
const attrs = { attrOffsets: new Int32Array(dims.numItems + 2), attrIds: new Int32Array(0) };
const seq: Sequence = {
  key: 'device',
  items: Int32Array.from([1, 2, 3, 1, 2, 3, 1, 2, 3, 4]),
  kinds: Uint8Array.from([0, 0, 2, 0, 0, 2, 0, 0, 4, 0]),
  gaps: Uint8Array.from([8, 1, 1, 2, 1, 1, 2, 1, 1, 3]),
};

describe('localTrain', () => {
  it('moves only the dense weights, leaves the caller\'s weights untouched, and lowers the local loss', () => {
    const base = initWeights(dims, new Rng(3));
    const before = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, v.slice()]));
    for (const optimizer of ['sgd', 'adam'] as const) {
      const r = localTrain(dims, base, attrs, [seq], layout, { epochs: 30, learningRate: optimizer === 'sgd' ? 0.5 : 0.02, optimizer, seed: 1 });
      expect(r.delta.length).toBe(layout.size);
      expect(r.positions).toBe(9);
      expect(r.lastLoss).toBeLessThan(r.firstLoss);
      expect(r.delta.some((v) => v !== 0)).toBe(true);
      expect(r.delta.every(Number.isFinite)).toBe(true);
    }
    for (const [k, v] of Object.entries(base)) expect(v).toEqual(before[k]);
  });

  it('is deterministic for a seed', () => {
    const base = initWeights(dims, new Rng(4));
    const o = { epochs: 3, learningRate: 0.1, seed: 9 };
    expect(localTrain(dims, base, attrs, [seq], layout, o).delta).toEqual(localTrain(dims, base, attrs, [seq], layout, o).delta);
  });
});
