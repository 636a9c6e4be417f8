import { Worker } from 'node:worker_threads';
import type { Sequence } from '@perch/model/data';
import { NegativeSampler, planBatch, positionsOf, SPARSE, type Touched } from '@perch/model/plain';
import type { EngineContext, GradEngine } from '@perch/model/plain';
import type { Weights } from '@perch/model/spec';

/** Copies tensors into SharedArrayBuffers so worker threads read the current weights without copying. */
function share(w: Weights): Weights {
  const out: Weights = {};
  for (const [k, t] of Object.entries(w)) { const s = new Float32Array(new SharedArrayBuffer(t.byteLength)); s.set(t); out[k] = s; }
  return out;
}

interface WorkerReply { loss: number; positions: number; rows: Int32Array; attrRows: Int32Array }

/** One part of a batch for a worker: its sequences (indices into the flattened training set) and the batch's plan. */
export interface WorkerTask { part: Int32Array; seeds: Uint32Array; candidates: Int32Array; positions: number }

/**
 * Data-parallel gradients on worker_threads: the main thread draws each batch's plan (`planBatch`: the
 * negatives and one dropout seed per sequence, from the trainer's generator, exactly as the single-threaded
 * engine does), the batch is cut into `threads` contiguous parts (by sequence), every worker runs a BatchStep on
 * its part against the shared weights and the whole batch's candidates, and the parts' gradients, each already
 * divided by the batch's positions, are added in part order. A part's positions are computed exactly as one
 * thread computes them; only the order in which position and part sums are added differs, so a seed gives the
 * same model on any thread count up to float rounding (packages/cli/test/train/determinism.test.ts).
 */
export async function parallelEngine(c: EngineContext, threads: number): Promise<GradEngine> {
  const { model, grads, opts, ds } = c;
  const V = model.dims.numItems, d = model.dims.dim;
  const shared = share(model.w);
  for (const k of Object.keys(shared)) model.w[k] = shared[k]!;
  // sequences travel once, flattened; batches are then sent as index lists
  const index = new Map<Sequence, number>(c.train.map((s, i) => [s, i]));
  const offsets = new Int32Array(c.train.length + 1);
  c.train.forEach((s, i) => { offsets[i + 1] = offsets[i]! + s.items.length; });
  const items = new Int32Array(offsets[c.train.length]!), kinds = new Uint8Array(items.length), gaps = new Uint8Array(items.length);
  c.train.forEach((s, i) => { items.set(s.items, offsets[i]!); kinds.set(s.kinds, offsets[i]!); gaps.set(s.gaps, offsets[i]!); });
  const workerGrads: Weights[] = [];
  const workers: Worker[] = [];
  for (let t = 0; t < threads; t++) {
    const g: Weights = {};
    for (const [k, v] of Object.entries(grads)) g[k] = new Float32Array(new SharedArrayBuffer(v.byteLength));
    workerGrads.push(g);
    const w = new Worker(new URL('./grad-worker-boot.mjs', import.meta.url), {
      workerData: { dims: model.dims, weights: shared, grads: g, attrOffsets: model.attrs.attrOffsets, attrIds: model.attrs.attrIds, opts,
        seed: opts.seed * 1009 + t + 1, counts: c.counts, itemCategory: ds.itemCategory, typed: ds.typedEvents, offsets, items, kinds, gaps },
    });
    workers.push(w);
  }
  const sampler = new NegativeSampler(c.counts, V, opts.negAlpha);
  const call = (w: Worker, msg: WorkerTask): Promise<WorkerReply> => new Promise((resolve, reject) => {
    const onMsg = (r: WorkerReply): void => { w.off('error', onErr); resolve(r); };
    const onErr = (e: Error): void => { w.off('message', onMsg); reject(e); };
    w.once('message', onMsg); w.once('error', onErr);
    w.postMessage(msg);
  });
  const rowStamp = new Int32Array(V + 1), attrStamp = new Int32Array(model.dims.numAttrs + 1);
  let stamp = 0, itemRows = new Int32Array(1024), itemCount = 0;
  return {
    async run(batch) {
      const plan = planBatch(batch, opts, sampler, c.rng);
      const lens = batch.map((s) => positionsOf(s, opts.maxLen));
      const total = plan.positions;
      const parts: WorkerTask[] = [];
      for (let i = 0, t = 0; t < threads; t++) {
        const part: number[] = [], from = i;
        let acc = 0;
        while (i < batch.length && (t === threads - 1 || acc < total / threads)) { part.push(index.get(batch[i]!)!); acc += lens[i++]!; }
        parts.push({ part: Int32Array.from(part), seeds: plan.seeds.slice(from, i), candidates: plan.candidates, positions: total });
      }
      const replies = await Promise.all(parts.map((p, t) => (p.part.length ? call(workers[t]!, p) : Promise.resolve({ loss: 0, positions: 0, rows: new Int32Array(0), attrRows: new Int32Array(0) }))));
      stamp++; itemCount = 0;
      let loss = 0;
      replies.forEach((r, t) => {
        if (r.positions === 0) return;
        const g = workerGrads[t]!;
        loss += r.loss;
        for (const [k, gt] of Object.entries(g)) {
          if (SPARSE.has(k)) continue;
          const dst = grads[k]!;
          for (let o = 0; o < gt.length; o++) { dst[o] = dst[o]! + gt[o]!; gt[o] = 0; }
        }
        const merge = (name: string, row: number, width: number): void => {
          const src = g[name]!, dst = grads[name]!;
          for (let o = row * width; o < row * width + width; o++) { dst[o] = dst[o]! + src[o]!; src[o] = 0; }
        };
        for (const row of r.rows) {
          merge('item_emb', row, d); merge('item_bias', row, 1);
          if (rowStamp[row] !== stamp) {
            rowStamp[row] = stamp;
            if (itemCount === itemRows.length) { const n = new Int32Array(itemRows.length * 2); n.set(itemRows); itemRows = n; }
            itemRows[itemCount++] = row;
          }
        }
        for (const ar of r.attrRows) { merge('attr_emb', ar, d); attrStamp[ar] = stamp; }
      });
      return { loss, positions: total };
    },
    touched: (): Touched => ({ itemRows, itemCount, attrStamp, stamp }),
    async close() { await Promise.all(workers.map((w) => w.terminate())); },
  };
}
