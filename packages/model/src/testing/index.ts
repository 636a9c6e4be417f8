/** Deterministic random weights and attributes of the spec's shapes, for tests and benchmarks (never for shops). */
export { randomWeights, randomItemAttrs, refScores, refStep } from './reference.js';
