// The tfjs model against the trainer's plain Float32Array implementation (plain/model.ts) for the same weights.
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PlainModel } from '../plain/model.js';
import type { ModelDims } from '../spec.js';
import { createModel } from './model.js';
import { randomItemAttrs, randomWeights } from '../testing/reference.js';
import type { ModelEvent } from './types.js';

setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);

const dims: ModelDims = { numItems: 500, numAttrs: 40, numCategories: 7, dim: 16, hidden: 24 };
const weights = randomWeights(dims, 21, 0.2);
const lists = randomItemAttrs(dims, 22, 5);
const offsets = new Int32Array(dims.numItems + 2);
lists.forEach((l, i) => (offsets[i + 1] = (offsets[i] as number) + l.length));
const plain = new PlainModel(dims, weights, { attrOffsets: offsets, attrIds: Int32Array.from(lists.flat()) });
const history: ModelEvent[] = Array.from({ length: 30 }, (_, t) => ({ item: (t * 37) % dims.numItems + 1, kind: t % 8, gap: (t * 5) % 9 }));
history[4] = { item: 0, kind: 1, gap: 2, attrs: [5, 6] };

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  expect(m).toBeLessThan(tol);
};

describe.each(['cpu', 'wasm'])('tfjs (%s) equals plain/ for the same weights', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('states, scores, top-10 and intent heads', async () => {
    const m = createModel(dims, weights, lists);
    let h = plain.initialState();
    let s = m.initialState();
    for (const e of history) {
      h = plain.step(h, e);
      s = await m.step(s, e);
      close(s.h, h, 1e-5);
    }
    const cands = Array.from({ length: 200 }, (_, i) => (i * 13) % dims.numItems + 1);
    close(await m.score(s, cands), plain.score(h, cands), 1e-4);
    const exclude = history.map((e) => e.item);
    const ref = plain.topK(h, 10, exclude);
    const got = await m.topK(s, 10, exclude);
    expect(Array.from(got.items)).toEqual(ref.map((r) => r.item));
    close(got.scores, ref.map((r) => r.score), 1e-4);
    const intent = await m.intent(s);
    expect(intent.purchase).toBeCloseTo(plain.purchaseProbability(h), 5);
    close(intent.categories, plain.categoryDistribution(h), 1e-5);
    const fwd = await m.forward(history);
    close(fwd.state.h, h, 1e-5);
    m.dispose();
  });
});
