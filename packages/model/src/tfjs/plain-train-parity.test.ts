// The tfjs training loss and its autodiff gradients against the trainer's hand-written backward pass
// (plain/batch.ts) on the same batch: full softmax and no dropout, so both are deterministic.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sequence } from '../data/types.js';
import { BatchStep } from '../plain/batch.js';
import { PlainModel } from '../plain/model.js';
import { Rng } from '../plain/rng.js';
import { DEFAULTS } from '../plain/train.js';
import { zeroWeights } from '../plain/weights.js';
import type { ModelDims } from '../spec.js';
import { createModel } from './model.js';
import { randomItemAttrs, randomWeights } from './testing/reference.js';
import { TfTrainer } from './train.js';

const dims: ModelDims = { numItems: 40, numAttrs: 10, numCategories: 5, dim: 8, hidden: 6 };
const weights = randomWeights(dims, 31, 0.2);
const lists = randomItemAttrs(dims, 32, 3);
const offsets = new Int32Array(dims.numItems + 2);
lists.forEach((l, i) => (offsets[i + 1] = (offsets[i] as number) + l.length));
const itemCategory = Int32Array.from({ length: dims.numItems + 1 }, (_, i) => (i === 0 ? 0 : i % 5));
const counts = Float64Array.from({ length: dims.numItems + 1 }, (_, i) => (i === 0 ? 0 : 1 + (i % 7)));
const mk = (items: number[], kinds: number[]): Sequence => ({ key: 'k', items: Int32Array.from(items), kinds: Uint8Array.from(kinds), gaps: Uint8Array.from(items, (_, i) => (i * 3) % 9) });
const batch = [mk([1, 5, 9, 13], [0, 1, 2, 4]), mk([2, 3], [0, 4]), mk([20, 21, 22, 23, 24, 25], [0, 0, 2, 2, 4, 0]), mk([40, 39, 38], [1, 1, 1])];
const cfg = { ...DEFAULTS, negatives: 10_000, dropoutIn: 0, dropoutOut: 0, intentWeight: 0.3, categoryWeight: 0.2 };

describe('tfjs training step against plain/batch.ts', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('same loss and same gradients for every tensor', () => {
    const copy = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, v.slice()]));
    const plain = new PlainModel(dims, copy, { attrOffsets: offsets, attrIds: Int32Array.from(lists.flat()) });
    const g = zeroWeights(dims);
    const step = new BatchStep(plain, g, cfg, new Rng(1), counts, itemCategory, true);
    const ref = step.run(batch);

    const model = createModel(dims, weights, lists);
    const trainer = new TfTrainer(model, counts, { typed: true, itemCategory, config: cfg });
    const p = trainer.prepare(batch);
    const { value, grads } = tf.variableGrads(() => trainer.loss(p));
    expect(p.P).toBe(ref.positions);
    expect(value.dataSync()[0]).toBeCloseTo(ref.loss, 4);
    for (const [name, v] of Object.entries(model.vars)) {
      const got = grads[v.name] ? (grads[v.name] as tf.Tensor).dataSync() : new Float32Array((g[name] as Float32Array).length);
      const want = g[name] as Float32Array;
      let m = 0, scale = 1e-3;
      for (let i = 0; i < want.length; i++) {
        m = Math.max(m, Math.abs((got[i] as number) - (want[i] as number)));
        scale = Math.max(scale, Math.abs(want[i] as number));
      }
      expect(m / scale, `${name}: max |Δgrad| ${m}, max |grad| ${scale}`).toBeLessThan(1e-3);
    }
    tf.dispose([value, ...Object.values(grads)]);
    trainer.dispose();
    model.dispose();
  });
});
