/**
 * Entry of `dist/perch-model.js`: the worker's model side (delivery, backends with tfjs, plain kernels,
 * live intent state, rerank). The core worker loads it with `importScripts` only when a model is needed;
 * as an IIFE named `perchModel` it leaves these exports on the worker's global scope.
 */
import type { StoreDump } from '../shared/worker-api.js';
import type { ModelSide } from '../worker/serve/model/runtime-script.js';
import { ModelService } from '../worker/serve/model/service.js';

/**
 * A model side for the core worker; `dump` reads the stored sequence when IndexedDB cannot be read directly,
 * `storeErased` tells whether the event store holds the database erased (its model cache then opens nothing).
 */
export function createModelService(dump: () => Promise<StoreDump>, storeErased: () => boolean): ModelSide {
  return new ModelService(dump, storeErased);
}
