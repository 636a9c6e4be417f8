/**
 * The `cpu` backend of the SDK worker: the model's plain Float32Array implementation behind the same
 * methods the tfjs model offers. On the CPU, tfjs adds per-op overhead (tensor allocation, async reads) that
 * dwarfs the work of one step or of scoring 200 items (≈ 13k multiply-adds), so the plain kernels are the
 * fastest CPU path; the numbers are identical to tfjs-cpu up to float rounding (checked by the backend spec).
 */
import type { LoadedExport } from '@perch/model/export';
import { PlainModel } from '@perch/model/plain';
import type { Candidate, Intent, ModelEvent, ModelState } from '@perch/model/tfjs';

/** The subset of `TfGruModel` the worker uses. */
export interface WorkerModel {
  initialState(): ModelState;
  step(state: ModelState, event: ModelEvent): Promise<ModelState>;
  forward(history: readonly ModelEvent[], state?: ModelState): Promise<{ state: ModelState }>;
  score(state: ModelState, candidates: readonly Candidate[]): Promise<Float32Array>;
  intent(state: ModelState): Promise<Intent>;
  dispose(): void;
}

export class PlainWorkerModel implements WorkerModel {
  private readonly m: PlainModel;

  constructor(loaded: LoadedExport) {
    const { dims, vocab } = loaded;
    const offsets = new Int32Array(dims.numItems + 2);
    for (let i = 0; i <= dims.numItems; i++) offsets[i + 1] = (offsets[i] as number) + (vocab.itemAttrs[i]?.length ?? 0);
    const ids = new Int32Array(offsets[dims.numItems + 1] as number);
    for (let i = 0; i <= dims.numItems; i++) ids.set(vocab.itemAttrs[i] ?? [], offsets[i] as number);
    this.m = new PlainModel(dims, loaded.weights, { attrOffsets: offsets, attrIds: ids });
  }

  initialState(): ModelState {
    return { h: this.m.initialState(), length: 0 };
  }

  async step(state: ModelState, event: ModelEvent): Promise<ModelState> {
    return { h: this.m.step(state.h, event), length: state.length + 1 };
  }

  async forward(history: readonly ModelEvent[], state: ModelState = this.initialState()): Promise<{ state: ModelState }> {
    let h = state.h;
    for (const e of history) h = this.m.step(h, e);
    return { state: { h, length: state.length + history.length } };
  }

  async score(state: ModelState, candidates: readonly Candidate[]): Promise<Float32Array> {
    const q = this.m.query(state.h).slice();
    const reps = this.m.itemReps(), bias = this.m.w.item_bias!, d = this.m.dims.dim, V = this.m.dims.numItems;
    const out = new Float32Array(candidates.length);
    const cold: number[] = [];
    const lists: ArrayLike<number>[] = [];
    for (let k = 0; k < candidates.length; k++) {
      const c = candidates[k]!;
      if (typeof c === 'number' && c > 0 && c <= V) {
        let s = 0;
        for (let j = 0; j < d; j++) s += q[j]! * reps[c * d + j]!;
        out[k] = s + bias[c]!;
      } else { cold.push(k); lists.push(typeof c === 'number' ? [] : c.attrs); }
    }
    if (cold.length) this.m.coldScores(q, lists).forEach((s, j) => (out[cold[j]!] = s));
    return out;
  }

  async intent(state: ModelState): Promise<Intent> {
    return { purchase: this.m.purchaseProbability(state.h), categories: this.m.categoryDistribution(state.h) };
  }

  dispose(): void { /* plain arrays: nothing to free */ }
}
