// Plain Float32Array implementation of the Perch model: inference, training and evaluation scorer.
export { PlainModel, gruForward, type ItemAttrs, type StepEvent, type State, type GruCache } from './model.js';
export { BatchStep, NegativeSampler, planBatch, positionsOf, defaultKernels, JS_KERNELS, type BatchPlan, type DenseKernels, type LossConfig } from './batch.js';
export { Adam, SPARSE, type Touched } from './adam.js';
export { ModelScorer } from './scorer.js';
export { train, dimsFor, localEngine, stoppingCases, DEFAULTS, DivergedError, type TrainOptions, type TrainResult, type EpochLog, type TrainHooks, type GradEngine, type EngineContext } from './train.js';
export { initWeights, zeroWeights, assertFinite } from './weights.js';
