/**
 * The model on a tfjs backend (webgpu, webgl, wasm) as the worker uses it: the intent state (`step`,
 * `forward`) and the intent heads run on the backend; scoring a list runs on the plain kernels over item
 * representations cached once per model version.
 *
 * Why: scoring 200 candidates is a gather and a 200 × 65 dot product (≈ 13k multiply-adds), but on a tfjs
 * backend it is 4-6 kernel launches, tensor allocations and an async read-back per call, which cost far more
 * than the arithmetic on wasm (and a GPU round trip on webgl/webgpu): the measurement is in
 * docs/experiments/2026-11-23-rerank-plain-scoring.md.
 * The scores are the same function of the same weights (checked by the backend spec: every backend ranks
 * the same top-10); `scoreOnBackend` keeps the all-tfjs path for the bench's comparison.
 */
import type { LoadedExport } from '@perch/model/export';
import { createModel, type TfGruModel } from '@perch/model/tfjs';
import type { Candidate, Intent, ModelEvent, ModelState } from '@perch/model/tfjs';
import type { PlainWorkerModel, WorkerModel } from './plain-adapter.js';

export class BackendWorkerModel implements WorkerModel {
  private readonly tf: TfGruModel;

  /**
   * @param plain the plain model over the same export, used for scoring
   * @param scoreOnBackend score with the tfjs model too (comparison only)
   */
  constructor(loaded: LoadedExport, private readonly plain: PlainWorkerModel, private readonly scoreOnBackend = false) {
    this.tf = createModel(loaded.dims, loaded.weights, loaded.vocab.itemAttrs);
  }

  initialState(): ModelState {
    return this.tf.initialState();
  }

  step(state: ModelState, event: ModelEvent): Promise<ModelState> {
    return this.tf.step(state, event);
  }

  forward(history: readonly ModelEvent[], state?: ModelState): Promise<{ state: ModelState }> {
    return this.tf.forward(history, state);
  }

  score(state: ModelState, candidates: readonly Candidate[]): Promise<Float32Array> {
    return this.scoreOnBackend ? this.tf.score(state, candidates) : this.plain.score(state, candidates);
  }

  intent(state: ModelState): Promise<Intent> {
    return this.tf.intent(state);
  }

  dispose(): void {
    this.tf.dispose();
  }
}
