import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { leaveOneOut } from '@perch/model/data';
import { popularity } from '@perch/model/eval';
import { BatchStep, DEFAULTS, defaultKernels, dimsFor, initWeights, JS_KERNELS, localEngine, NegativeSampler, PlainModel, planBatch, train, zeroWeights, type EngineContext, type GradEngine, type TrainOptions } from '@perch/model/plain';
import { Rng } from '@perch/model/rng';
import type { Weights } from '@perch/model/spec';
import { parallelEngine } from '../../src/train/parallel.js';
import { beautySlice } from '../beauty-slice.js';

const ds = beautySlice(400);
const split = leaveOneOut(ds.sequences);
const small: Partial<TrainOptions> = { dim: 16, hidden: 16, negatives: 64, maxEpochs: 2, maxValCases: 50, lr: 0.005, seed: 9 };

/** The gradients of the first batch of 300 positions on `engine`, from the same initial weights and generator. */
async function firstBatch(make: (c: EngineContext) => GradEngine | Promise<GradEngine>): Promise<{ grads: Weights; loss: number }> {
  const opts: TrainOptions = { ...DEFAULTS, ...small };
  const dims = dimsFor(ds, opts);
  const rng = new Rng(opts.seed);
  const model = new PlainModel(dims, initWeights(dims, rng), { attrOffsets: ds.attrOffsets, attrIds: ds.attrIds });
  const grads = zeroWeights(dims);
  const seqs = split.train.filter((s) => s.items.length >= 2);
  const engine = await make({ model, grads, opts, rng, counts: popularity(split.train, dims.numItems), ds, train: seqs });
  const batch = [];
  for (let pos = 0, i = 0; pos < 300; i++) { batch.push(seqs[i]!); pos += Math.min(seqs[i]!.items.length, opts.maxLen) - 1; }
  const { loss } = await engine.run(batch);
  await engine.close?.();
  return { grads, loss };
}

const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('training is deterministic for a seed', () => {
  it('gives one batch the same gradient on 1, 2 and 3 threads up to summation order', async () => {
    const one = await firstBatch(localEngine);
    for (const threads of [2, 3]) {
      const par = await firstBatch((c) => parallelEngine(c, threads));
      expect(par.loss).toBeCloseTo(one.loss, 6);
      for (const [k, g] of Object.entries(one.grads)) {
        const p = par.grads[k]!, scale = Math.max(1e-12, maxAbs(g));
        let worst = 0;
        for (let o = 0; o < g.length; o++) worst = Math.max(worst, Math.abs(p[o]! - g[o]!));
        expect(worst / scale, `${k} on ${threads} threads`).toBeLessThan(1e-5);
      }
      expect(maxAbs(par.grads.gru_wx!)).toBeGreaterThan(0); // not two empty gradients agreeing
    }
  });

  it('trains nearly the same model on 1 and 2 threads', async () => {
    const a = await train(ds, split, small, {}, localEngine);
    const b = await train(ds, split, small, {}, (c) => parallelEngine(c, 2));
    expect(b.history.length).toBe(a.history.length);
    for (let e = 0; e < a.history.length; e++) {
      expect(b.history[e]!.loss).toBeCloseTo(a.history[e]!.loss, 4);
      expect(Math.abs(b.history[e]!.val['NDCG@20']! - a.history[e]!.val['NDCG@20']!)).toBeLessThan(0.01);
    }
    const wa = a.model.w.gru_wx!, wb = b.model.w.gru_wx!;
    let worst = 0;
    for (let o = 0; o < wa.length; o++) worst = Math.max(worst, Math.abs(wa[o]! - wb[o]!));
    expect(worst).toBeLessThan(1e-3 * maxAbs(wa));
    expect(a.history[1]!.loss).toBeLessThan(a.history[0]!.loss); // and it learns
  });

  it('is bit-identical for a thread count whatever the load, and never stops on time by default', async () => {
    const quiet = await train(ds, split, small, {}, (c) => parallelEngine(c, 2));
    // two busy threads compete for this machine's cores while the second run trains
    const hog = `const { parentPort } = require('node:worker_threads'); let x = 0; const end = Date.now() + 60000; while (Date.now() < end) { x += Math.sqrt(x + 1); if ((x | 0) % 1000000 === 0) parentPort.postMessage(x); }`;
    const hogs = [new Worker(hog, { eval: true }), new Worker(hog, { eval: true })];
    try {
      const loaded = await train(ds, split, small, {}, (c) => parallelEngine(c, 2));
      expect(Array.from(loaded.model.w.gru_wx!)).toEqual(Array.from(quiet.model.w.gru_wx!));
      expect(Array.from(loaded.model.w.item_emb!)).toEqual(Array.from(quiet.model.w.item_emb!));
      expect(loaded.history.map((h) => h.val)).toEqual(quiet.history.map((h) => h.val));
      expect(loaded.stoppedBy).not.toBe('time');
      expect(quiet.history[1]!.loss).toBeLessThan(quiet.history[0]!.loss);
    } finally { await Promise.all(hogs.map((h) => h.terminate())); }
  });

  it('gets the JS kernels\' gradient from the SIMD kernels up to float32 rounding (the default model\'s sizes)', () => {
    expect(defaultKernels()).not.toBe(JS_KERNELS); // this engine has WebAssembly SIMD: the fast path is the one tested
    const opts: TrainOptions = { ...DEFAULTS };
    const dims = dimsFor(ds, opts), counts = popularity(split.train, dims.numItems);
    const seqs = split.train.filter((s) => s.items.length >= 2).slice(0, 40);
    const plan = planBatch(seqs, opts, new NegativeSampler(counts, dims.numItems, opts.negAlpha), new Rng(3));
    const grads = (fast: boolean): { g: Weights; loss: number } => {
      const model = new PlainModel(dims, initWeights(dims, new Rng(2)), { attrOffsets: ds.attrOffsets, attrIds: ds.attrIds });
      const g = zeroWeights(dims);
      const step = new BatchStep(model, g, opts, new Rng(4), counts, ds.itemCategory, ds.typedEvents);
      if (!fast) step.kernels = JS_KERNELS;
      return { g, loss: step.run(seqs, plan).loss };
    };
    const js = grads(false), simd = grads(true);
    expect(simd.loss).toBeCloseTo(js.loss, 5);
    let differs = false;
    for (const [k, g] of Object.entries(js.g)) {
      const p = simd.g[k]!, scale = Math.max(1e-12, maxAbs(g));
      let worst = 0;
      for (let o = 0; o < g.length; o++) { worst = Math.max(worst, Math.abs(p[o]! - g[o]!)); if (p[o] !== g[o]) differs = true; }
      expect(worst / scale, k).toBeLessThan(1e-4);
    }
    expect(differs).toBe(true); // float32 sums, not the float64 ones: the two paths are not bit-identical
  });

  it('stops on a time budget only when one is set, and says so', async () => {
    const r = await train(ds, split, { ...small, maxEpochs: 50, maxSeconds: 0.001 }, {}, localEngine);
    expect(r.history.length).toBe(1);
    expect(r.stoppedBy).toBe('time');
  });
});
