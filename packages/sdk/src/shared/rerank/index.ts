/** Reranking, pure parts: the worker contract, blending, ordering (pins, MMR), explanations, attribution. */
export type * from './api.js';
export { DEFAULT_BLEND, NEUTRAL, blendScores, blendWeight, modelRanks, shopRank } from './blend.js';
export { MMR_WINDOW, orderItems, pinSet } from './order.js';
export { explain, indexHistory, type HistoryEntry, type HistoryIndex } from './explain.js';
export { attributionToken, newCallId, parseAttribution, type Attribution } from './attribution.js';
export { rerankList, unchanged, type RerankInput, type PureReply } from './rerank.js';
export { applyReply, shopOrder, toCandidates } from './candidates.js';
