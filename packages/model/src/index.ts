/**
 * @perch/model: the GRU intent model. Import the part you need — `@perch/model/spec` (the contract), `/plain`
 * (training and the reference kernels), `/tfjs` (browser inference), `/data`, `/eval`, `/export`, `/backend`,
 * `/rng` (the one seeded generator), `/testing` (deterministic random weights for tests and benchmarks).
 */
export * as spec from './spec.js';
export * as plain from './plain/index.js';
export * as tfjs from './tfjs/index.js';
export * as data from './data/index.js';
export * as evaluation from './eval/index.js';
export * as modelExport from './export/index.js';
export * as backend from './backend/index.js';
export { Rng } from './rng.js';
