// Web worker of `pnpm bench client` (browser side): one federated client round exactly as the SDK worker runs
// it, minus the network: local training from the global weights on one device's own sequence with the round's
// recipe and the model's item counts (`localTrain`, plain Float32Array kernels, dense weights only), then clip + Gaussian noise + int8 stochastic rounding +
// wire encoding (`makeUpdate`, with `cryptoRng` as on a real device). Answers with per-round timings.
import { makeUpdate, localTrain } from '@perch/learn/client';
import type { LocalRecipe } from '@perch/learn/client';
import { Rng } from '@perch/model/rng';
import { initWeights } from '@perch/model/plain';
import { makeLayout } from '@perch/learn/update';
import { cryptoRng } from '@perch/learn/privacy';
import { SHARED_DENSE_WEIGHTS, weightShapes, type ModelDims } from '@perch/model/spec';

export interface ClientBenchRequest {
  dims: ModelDims;
  attrOffsets: Int32Array;
  attrIds: Int32Array;
  seqs: { items: number[]; kinds: number[]; gaps: number[] }[];
  recipe: LocalRecipe;
  /** The model's item counts (vocab.itemCounts). */
  counts: number[];
  warmup: number;
}
export interface ClientBenchReply { train: number[]; pipeline: number[]; bytes: number; values: number }

self.onmessage = (ev: MessageEvent<ClientBenchRequest>) => {
  const r = ev.data;
  const w = initWeights(r.dims, new Rng(1));
  const layout = makeLayout(weightShapes(r.dims), SHARED_DENSE_WEIGHTS);
  const attrs = { attrOffsets: r.attrOffsets, attrIds: r.attrIds };
  const rng = cryptoRng();
  const out: ClientBenchReply = { train: [], pipeline: [], bytes: 0, values: layout.size };
  r.seqs.forEach((s, i) => {
    const seq = { key: 'device', items: Int32Array.from(s.items), kinds: Uint8Array.from(s.kinds), gaps: Uint8Array.from(s.gaps) };
    const t0 = performance.now();
    const t = localTrain(r.dims, w, attrs, [seq], layout, { recipe: r.recipe, counts: r.counts, gradClip: 5, seed: i + 1 });
    const t1 = performance.now();
    const { bytes } = makeUpdate(t.delta, layout, { roundId: 1, baseVersion: 1, clipBound: 1, noiseMultiplier: 1, examples: t.positions, maxClientWeight: 32, rng });
    const t2 = performance.now();
    out.bytes = bytes.length;
    if (i >= r.warmup) { out.train.push(t1 - t0); out.pipeline.push(t2 - t1); }
  });
  (self as unknown as Worker).postMessage(out);
};
// Loaded and compiled: the page starts watching its main thread only from here on.
(self as unknown as Worker).postMessage('ready');
