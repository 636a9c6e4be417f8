/**
 * The Perch GRU model on TensorFlow.js, for inference in the browser worker on the WebGPU, WebGL, WASM and CPU
 * backends (the caller registers them, see `../backend`). Training and the reference maths are the plain
 * implementation's (`../plain`), which the tests use as the oracle for this one.
 */
export { createModel, TfGruModel } from './model.js';
export { buildAttrTable, type AttrTable } from './attr-table.js';
export { validateWeights, readVariables, type TfWeights } from './weights.js';
export type { Candidate, Intent, ItemAttributes, ModelEvent, ModelState } from './types.js';
export { loadModel } from './load.js';
