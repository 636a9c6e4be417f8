/**
 * Centralised baselines on the federated users' data, starting from the pretrained model: what a server holding
 * everyone's sequences would reach. Two variants: `dense` trains only the shared dense weights (the same
 * restriction as federated clients, so the gap to federated training is the cost of federation alone) and `full`
 * also trains item/attribute embeddings and item_bias (what federation gives up by never uploading them).
 * Adam, the trainer's loss, best epoch by validation NDCG@20 on the evaluation users; `maxSeconds` may end the
 * last epoch part-way (the quick run).
 */
import type { EvalCase, Sequence } from '@perch/model/data';
import { evaluate } from '@perch/model/eval';
import type { Metrics } from '@perch/model/eval';
import { Adam, BatchStep, type LossConfig, PlainModel, ModelScorer, positionsOf, zeroWeights } from '@perch/model/plain';
import { Rng } from '@perch/model/rng';
import type { ModelDims, Weights } from '@perch/model/spec';
import { cloneWeights, denseOf } from './weights.js';

export interface CentralOptions {
  mode: 'dense' | 'full';
  epochs: number;
  lr: number;
  batchPositions: number;
  seed: number;
  /** Wall-clock budget; the epoch in progress is the last one. */
  maxSeconds: number;
}

export interface CentralResult { weights: Weights; bestEpoch: number; val: Metrics[] }

/** Trains a copy of `start` on `train`; returns the weights of the best validation epoch (epoch 0 = start). */
export function trainCentral(dims: ModelDims, start: Weights, attrs: { attrOffsets: Int32Array; attrIds: Int32Array }, train: Sequence[],
  val: EvalCase[], loss: LossConfig, counts: Float64Array, o: CentralOptions, onEpoch?: (epoch: number, m: Metrics) => void): CentralResult {
  const model = new PlainModel(dims, cloneWeights(start), attrs);
  const grads = zeroWeights(dims);
  const rng = new Rng(o.seed);
  const step = new BatchStep(model, grads, loss, rng, counts, null, false);
  step.frozenRows = o.mode === 'dense'; // dense-only: embedding rows get no gradient at all
  const adam = o.mode === 'full' ? new Adam(model.w, dims.dim) : new Adam(denseOf(model.w), dims.dim);
  const score = (): Metrics => { model.invalidate(); return evaluate(new ModelScorer(model, loss.maxLen), val, dims.numItems); };
  const hist = [score()];
  onEpoch?.(0, hist[0]!);
  let best = hist[0]!['NDCG@20']!, bestEpoch = 0, bestW = cloneWeights(model.w);
  const t0 = performance.now();
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const order = rng.shuffle(train.slice());
    let out = false;
    for (let i = 0; i < order.length && !out;) {
      const batch: Sequence[] = [];
      let pos = 0;
      while (i < order.length && pos < o.batchPositions) { const s = order[i++]!; batch.push(s); pos += positionsOf(s, loss.maxLen); }
      step.run(batch);
      const touched = { itemRows: step.rows, itemCount: step.touchedCount, attrStamp: step.attrStamp, stamp: step.currentStamp };
      if (o.mode === 'full') adam.step(grads, o.lr, touched, 0, 5);
      else adam.step(denseOf(grads), o.lr, touched, 0, 5);
      out = o.maxSeconds > 0 && (performance.now() - t0) / 1000 > o.maxSeconds; // an optional budget may end an epoch early
    }
    const m = score();
    hist.push(m);
    onEpoch?.(epoch, m);
    if (m['NDCG@20']! > best) { best = m['NDCG@20']!; bestEpoch = epoch; bestW = cloneWeights(model.w); }
    if (out || (o.maxSeconds > 0 && (performance.now() - t0) / 1000 > o.maxSeconds)) break;
  }
  return { weights: bestW, bestEpoch, val: hist };
}
