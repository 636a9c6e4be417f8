// The floor: the trainer's plain-TypeScript Float32Array implementation, driven like the tfjs model.
import { Adam, BatchStep, PlainModel, DEFAULTS, zeroWeights } from '@perch/model/plain';
import { Rng } from '@perch/model/rng';
import type { ModelDims, Weights } from '@perch/model/spec';
import type { ModelEvent } from '@perch/model/tfjs';
import type { BenchData } from './setup.js';

export interface PlainFloor {
  model: PlainModel;
  forward(history: ModelEvent[]): Float32Array;
  topK(h: Float32Array, k: number, exclude: Iterable<number>): { items: number[]; scores: number[] };
  trainStep(): void;
}

/** Builds the plain model (weights copied: training must not change the reference) and its training step. */
export function plainFloor(dims: ModelDims, data: BenchData): PlainFloor {
  const offsets = new Int32Array(dims.numItems + 2);
  data.itemAttrs.forEach((l, i) => (offsets[i + 1] = (offsets[i] as number) + l.length));
  const attrs = { attrOffsets: offsets, attrIds: Int32Array.from(data.itemAttrs.flat()) };
  const copy: Weights = Object.fromEntries(Object.entries(data.weights).map(([k, v]) => [k, v.slice()]));
  const model = new PlainModel(dims, copy, attrs);
  const trainModel = new PlainModel(dims, Object.fromEntries(Object.entries(data.weights).map(([k, v]) => [k, v.slice()])), attrs);
  const grads = zeroWeights(dims);
  const rng = new Rng(1);
  const step = new BatchStep(trainModel, grads, DEFAULTS, rng, data.counts, null, true);
  const adam = new Adam(trainModel.w, dims.dim);
  const seqs = data.batch.map((s, i) => ({ key: String(i), ...s }));
  return {
    model,
    forward(history) {
      let h = model.initialState();
      for (const e of history) h = model.step(h, e);
      return h;
    },
    topK(h, k, exclude) {
      const best = model.topK(h, k, exclude);
      return { items: best.map((b) => b.item), scores: best.map((b) => b.score) };
    },
    trainStep() {
      step.run(seqs);
      adam.step(grads, DEFAULTS.lr, { itemRows: step.rows, itemCount: step.touchedCount, attrStamp: step.attrStamp, stamp: step.currentStamp }, DEFAULTS.l2, DEFAULTS.clip);
      trainModel.invalidate();
    },
  };
}
