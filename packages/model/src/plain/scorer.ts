import type { EvalCase } from '../data/split.js';
import type { Scorer } from '../eval/evaluate.js';
import { dot } from './kernels.js';
import type { PlainModel } from './model.js';

/**
 * Evaluates a PlainModel with the Scorer interface: runs the GRU over each case's history (last maxLen events),
 * then scores the whole catalog as Q·itemRepsᵀ + item_bias, item-major so each item vector is read once per batch.
 */
export class ModelScorer implements Scorer {
  readonly name = 'model';
  constructor(private readonly model: PlainModel, private readonly maxLen: number) {}

  scoreBatch(cases: EvalCase[], out: Float32Array): void {
    const m = this.model, { numItems: V, dim: d } = m.dims, W = V + 1, B = cases.length;
    const Q = new Float32Array(B * d);
    cases.forEach((c, b) => {
      let h = m.initialState();
      for (let t = Math.max(0, c.prefixLen - this.maxLen); t < c.prefixLen; t++) h = m.step(h, { item: c.seq.items[t]!, kind: c.seq.kinds[t]!, gap: c.seq.gaps[t]! });
      Q.set(m.query(h), b * d);
    });
    const R = m.itemReps(), bias = m.w.item_bias!;
    for (let i = 0; i <= V; i++) {
      const bi = bias[i]!, ro = i * d;
      for (let b = 0; b < B; b++) out[b * W + i] = dot(Q, b * d, R, ro, d) + bi;
    }
  }
}
