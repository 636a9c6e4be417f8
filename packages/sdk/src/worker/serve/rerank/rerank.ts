/**
 * The pure core of `rerank()`: model scores (or null) + the shop's order + options → the reply. It runs in
 * the worker but needs nothing from it, so it is unit-tested in Node.
 */
import type { RerankCandidate, RerankReply, RerankWorkerOptions } from '../../../shared/rerank/api.js';
import { attributionToken } from './attribution.js';
import { blendScores, blendWeight, shopRank } from './blend.js';
import { explain, type HistoryIndex } from './explain.js';
import { orderItems } from './order.js';

export interface RerankInput {
  items: readonly RerankCandidate[];
  /** Model score per item; null when the model knows nothing about it (neutral). */
  modelScores: readonly (number | null)[];
  options?: RerankWorkerOptions;
  history: HistoryIndex;
  callId: string;
}

export type PureReply = Omit<RerankReply, 'modelVersion' | 'backend' | 'workerMs'>;

/** The shop's order, unchanged, with a reason; tokens still mark the call (as not personalised). */
export function unchanged(n: number, reason: string, callId: string): PureReply {
  const order = Array.from({ length: n }, (_, i) => i);
  return {
    personalized: false,
    reason,
    order,
    scores: order.map((i) => shopRank(i, n)),
    explanations: new Array<null>(n).fill(null),
    attribution: order.map((i) => attributionToken({ call: callId, originalIndex: i, shownIndex: i, personalized: false })),
  };
}

/** Blends, orders (pins, MMR) and explains. */
export function rerankList({ items, modelScores, options = {}, history, callId }: RerankInput): PureReply {
  const n = items.length;
  const scores = blendScores(modelScores, blendWeight(options.blend));
  const order = orderItems({ scores, categories: items.map((c) => c.category), pinned: options.pinned, diversity: options.diversity });
  const attribution = new Array<string>(n);
  order.forEach((i, pos) => (attribution[i] = attributionToken({ call: callId, originalIndex: i, shownIndex: pos, personalized: true })));
  return { personalized: true, order, scores, explanations: items.map((c) => explain(c, history)), attribution };
}
