/**
 * Test cases split by whether their target occurs in the pretraining data. Items the pretraining users never
 * touched keep randomly initialised embedding rows (plus their attribute embeddings), and devices never train
 * (or upload) item rows, so dense-only models — the start, centralised dense-only training, any federated run —
 * rank them barely if at all; only `central_full` trains their rows. On Beauty with 5 % pretraining users such
 * items are a large share of the federated users' test targets (docs/experiments/2026-12-02-federated-virtual-batch.md,
 * "split by target"), which bounds what federated training of the dense weights can show; HR@20 on both groups
 * makes that visible.
 */
import type { EvalCase } from '@perch/model/data';
import { hitAt } from '@perch/model/eval';

/** 1 where the case's target has no occurrence in `counts` (the pretraining data's item counts), else 0. */
export function coldTargets(test: readonly EvalCase[], counts: ArrayLike<number>): Uint8Array {
  return Uint8Array.from(test, (c) => ((counts[c.target] ?? 0) > 0 ? 0 : 1));
}

/** HR@k on the cases whose target was seen in pretraining (`seen`) and on the others (`unseen`); NaN for an empty group. */
export function hitRateByTarget(ranks: ArrayLike<number>, cold: Uint8Array, k = 20): { seen: number; unseen: number } {
  if (ranks.length !== cold.length) throw new RangeError(`hitRateByTarget: ${ranks.length} ranks for ${cold.length} cases`);
  const hits = [0, 0], n = [0, 0];
  for (let i = 0; i < cold.length; i++) { const g = cold[i]!; n[g]!++; hits[g]! += hitAt(ranks[i]!, k); }
  return { seen: hits[0]! / n[0]!, unseen: hits[1]! / n[1]! };
}
