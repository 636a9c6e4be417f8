/** The Perch GRU model on TensorFlow.js: the caller registers backends (see `../backend`). */
export { createModel, TfGruModel } from './model.js';
export { buildAttrTable, type AttrTable } from './attr-table.js';
export { validateWeights, readVariables, type TfWeights } from './weights.js';
export type { Candidate, Intent, ItemAttributes, ModelEvent, ModelState } from './types.js';
export { loadModel } from './load.js';
export { TfTrainer, TF_TRAIN_DEFAULTS, type TfTrainConfig, type TfTrainerOptions } from './train.js';
export type { TrainSequence } from './train-batch.js';
export { registerFastSegmentSum } from './segment-sum.js';
