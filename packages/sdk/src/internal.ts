/**
 * `@perch/sdk/internal`: the SDK's inner pieces that the repository's own browser suites, benchmarks and demo
 * tooling drive directly (the worker contract, event validation, rerank internals). Not part of the public API:
 * no stability promise, never documented for shops.
 */
export type { ModelLoadOptions, ModelStatus, RerankCandidate, RerankReply, RerankRequest } from './shared/rerank/api.js';
export { validateEvent, type PerchEvent } from './shared/events/index.js';
export { snapshot } from './page/track/snapshot.js';
export { bridgeDataLayer } from './page/track/datalayer.js';
export { intake } from './shared/store-service.js';
export { blendScores } from './worker/serve/rerank/blend.js';
export { orderItems } from './worker/serve/rerank/order.js';
export { indexHistory } from './worker/serve/rerank/explain.js';
export { rerankList } from './worker/serve/rerank/rerank.js';
