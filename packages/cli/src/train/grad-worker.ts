// worker_threads side of parallel.ts: runs BatchStep on its part of each batch against the shared weights.
import { parentPort, workerData } from 'node:worker_threads';
import type { Sequence } from '@perch/model/data';
import { BatchStep, PlainModel } from '@perch/model/plain';
import { Rng } from '@perch/model/rng';
import type { WorkerTask } from './parallel.js';

const wd = workerData;
const model = new PlainModel(wd.dims, wd.weights, { attrOffsets: wd.attrOffsets, attrIds: wd.attrIds });
const step = new BatchStep(model, wd.grads, wd.opts, new Rng(wd.seed), wd.counts, wd.itemCategory, wd.typed);
const seqs: Sequence[] = [];
for (let i = 0; i + 1 < wd.offsets.length; i++) {
  const a = wd.offsets[i], b = wd.offsets[i + 1];
  seqs.push({ key: String(i), items: wd.items.subarray(a, b), kinds: wd.kinds.subarray(a, b), gaps: wd.gaps.subarray(a, b) });
}

parentPort!.on('message', (task: WorkerTask) => {
  const { loss, positions } = step.run(Array.from(task.part, (i) => seqs[i]!), { candidates: task.candidates, positions: task.positions, seeds: task.seeds });
  const attrRows: number[] = [];
  for (let a = 0; a < step.attrStamp.length; a++) if (step.attrStamp[a] === step.currentStamp) attrRows.push(a);
  parentPort!.postMessage({ loss, positions, rows: step.rows.slice(0, step.touchedCount), attrRows: Int32Array.from(attrRows) });
});
