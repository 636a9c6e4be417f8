import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelDims } from '../spec.js';
import { hasFusedGruStep } from './fused-cell.js';
import { createModel } from './model.js';
import { randomItemAttrs, randomWeights, refScores, refStep } from '../testing/reference.js';
import type { ModelEvent } from './types.js';

const dims: ModelDims = { numItems: 60, numAttrs: 12, numCategories: 5, dim: 8, hidden: 6 };
const weights = randomWeights(dims, 7);
const attrs = randomItemAttrs(dims, 3);
const history: ModelEvent[] = [
  { item: 5, kind: 0, gap: 8 },
  { item: 17, kind: 1, gap: 1 },
  { item: 0, kind: 0, gap: 2, attrs: [3, 9] }, // cold: unknown id, known attributes
  { item: 42, kind: 2, gap: 3 },
  { item: 60, kind: 4, gap: 0 },
  { item: 9999, kind: 5, gap: 7, attrs: [1] }, // out of vocabulary → cold
  { item: 1, kind: 7, gap: 4 },
];

function refHistory(n = history.length): Float64Array {
  let h: Float64Array = new Float64Array(dims.hidden + dims.dim);
  for (const e of history.slice(0, n)) h = refStep(dims, weights, attrs, h, e);
  return h;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(tol);
}

// The wasm backend runs in Node too once it is told where its .wasm binaries are.
setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);

describe.each(['cpu', 'wasm'])('TfGruModel (%s backend) against the spec formulas', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    expect(tf.getBackend()).toBe(backend);
  });

  it('step folds one event at a time and matches the reference hidden state', async () => {
    const m = createModel(dims, weights, attrs);
    let s = m.initialState();
    for (let t = 0; t < history.length; t++) {
      s = await m.step(s, history[t] as ModelEvent);
      expect(s.length).toBe(t + 1);
      expectClose(s.h, refHistory(t + 1));
    }
    m.dispose();
  });

  it('the hand-fused step kernel (cpu, wasm) equals the stacked tfjs ops', async () => {
    expect(hasFusedGruStep()).toBe(true);
    const fused = createModel(dims, weights, attrs);
    const stacked = createModel(dims, weights, attrs);
    stacked.fusedCell = false;
    let a = fused.initialState();
    let b = stacked.initialState();
    for (const e of history) {
      a = await fused.step(a, e);
      b = await stacked.step(b, e);
      expectClose(a.h, b.h, 1e-6);
    }
    expectClose((await fused.forward(history)).hidden, (await stacked.forward(history)).hidden, 1e-6);
    fused.dispose();
    stacked.dispose();
  });

  it('forward over a whole history equals repeated steps', async () => {
    const m = createModel(dims, weights, attrs);
    const { state, hidden } = await m.forward(history);
    expect(hidden.length).toBe(history.length * dims.hidden);
    expectClose(state.h, refHistory());
    expectClose(hidden.subarray(2 * dims.hidden, 3 * dims.hidden), refHistory(3).subarray(0, dims.hidden));
    // Continuing from a state is the same as running the concatenation.
    const half = await m.forward(history.slice(0, 3));
    const rest = await m.forward(history.slice(3), half.state);
    expectClose(rest.state.h, state.h, 1e-6);
    expect(rest.state.length).toBe(history.length);
    m.dispose();
  });

  it('scores known and cold candidates like the reference, in the given order', async () => {
    const m = createModel(dims, weights, attrs);
    const { state } = await m.forward(history);
    // rows outside 1..numAttrs (padding, out of range, not an integer) are skipped; an unknown row number is row 0
    const scores = await m.score(state, [3, { attrs: [2, 4, 4] }, 60, 0, { attrs: [] }, 12, { attrs: [0, 7, 13, 2.5] }, 9999]);
    const ref = refScores(dims, weights, state.h, [
      { row: 3, attrs: attrs[3] ?? [] },
      { row: 0, attrs: [2, 4, 4] },
      { row: 60, attrs: attrs[60] ?? [] },
      { row: 0, attrs: [] },
      { row: 0, attrs: [] },
      { row: 12, attrs: attrs[12] ?? [] },
      { row: 0, attrs: [7] },
      { row: 0, attrs: [] },
    ]);
    expectClose(scores, ref);
    m.dispose();
  });

  it('topK returns the reference ranking over the catalog, without row 0 or excluded items', async () => {
    const m = createModel(dims, weights, attrs);
    const { state } = await m.forward(history);
    const all = refScores(dims, weights, state.h, Array.from({ length: dims.numItems }, (_, i) => ({ row: i + 1, attrs: attrs[i + 1] ?? [] })));
    const exclude = [5, 17, 42];
    const order = Array.from(all.keys()).map((i) => i + 1).filter((r) => !exclude.includes(r)).sort((a, b) => (all[b - 1] as number) - (all[a - 1] as number));
    const { items, scores } = await m.topK(state, 10, exclude);
    expect(Array.from(items)).toEqual(order.slice(0, 10));
    expectClose(scores, order.slice(0, 10).map((r) => all[r - 1] as number));
    m.dispose();
  });

  it('intent heads match sigmoid / softmax of the reference hidden state', async () => {
    const m = createModel(dims, weights, attrs);
    const { state } = await m.forward(history);
    const { purchase, categories } = await m.intent(state);
    const h = refHistory();
    let logit = (weights.intent_b as Float32Array)[0] as number;
    for (let k = 0; k < dims.hidden; k++) logit += (h[k] as number) * ((weights.intent_w as Float32Array)[k] as number);
    expect(purchase).toBeCloseTo(1 / (1 + Math.exp(-logit)), 5);
    const cw = weights.cat_w as Float32Array;
    const z = Array.from({ length: dims.numCategories }, (_, c) => {
      let s = (weights.cat_b as Float32Array)[c] as number;
      for (let k = 0; k < dims.hidden; k++) s += (h[k] as number) * (cw[k * dims.numCategories + c] as number);
      return Math.exp(s);
    });
    const sum = z.reduce((a, b) => a + b, 0);
    expectClose(categories, z.map((v) => v / sum));
    m.dispose();
  });

  it('leaks no tensor across step, forward, score, topK and intent; dispose frees everything', async () => {
    const before = tf.memory().numTensors;
    const m = createModel(dims, weights, attrs);
    let s = await m.step(m.initialState(), history[0] as ModelEvent); // builds the catalog cache once
    const afterLoad = tf.memory().numTensors;
    for (const e of history) s = await m.step(s, e);
    await m.forward(history, s);
    await m.score(s, [1, 2, { attrs: [1] }]);
    await m.topK(s, 5, [1]);
    await m.intent(s);
    expect(tf.memory().numTensors).toBe(afterLoad);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad weights and bad events with clear errors', async () => {
    const bad = { ...weights, gru_wh: new Float32Array(3) };
    expect(() => createModel(dims, bad, attrs)).toThrow(/gru_wh/);
    const nan = { ...weights, out_b: Float32Array.from(weights.out_b as Float32Array, (v, i) => (i === 2 ? NaN : v)) };
    expect(() => createModel(dims, nan, attrs)).toThrow(/non-finite/);
    const m = createModel(dims, weights, attrs);
    await expect(m.step(m.initialState(), { item: 1, kind: 99, gap: 0 })).rejects.toThrow(/EVENT_KINDS/);
    await expect(m.step(m.initialState(), { item: 1, kind: 0, gap: -1 })).rejects.toThrow(/GAP_BUCKETS_S/);
    m.dispose();
  });
});
