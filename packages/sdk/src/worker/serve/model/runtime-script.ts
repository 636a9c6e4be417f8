/**
 * How the core worker reaches the model side: `perch-model.js` (built from `entries/model.ts`) is a classic
 * script beside `perch-worker.js`; `importScripts` runs it in this worker's global scope, where it leaves
 * its exports on `self.perchModel`. Loaded once, synchronously, on the first `loadModel()`.
 */
import type { ModelService } from './service.js';
import type { StoreDump } from '../../../shared/worker-api.js';

/** File name of the model-side script (next to the worker script). */
export const MODEL_SCRIPT = 'perch-model.js';

/** What the model side does for the core worker (`ModelService`'s public methods). */
export type ModelSide = Pick<ModelService, 'configure' | 'loadModel' | 'modelStatus' | 'eventsStored' | 'eventsDeleted' | 'forgotten' | 'rerank' | 'intent'>;

/** The exports of `perch-model.js`. */
export interface ModelRuntimeScript {
  createModelService(dump: () => Promise<StoreDump>, storeErased: () => boolean): ModelSide;
}

type Scope = { perchModel?: ModelRuntimeScript; importScripts?: (...urls: string[]) => void; location?: { href: string } };

/** Loads (once) and returns the model side; throws when the script cannot be loaded. */
export function loadModelRuntime(): ModelRuntimeScript {
  const scope = globalThis as unknown as Scope;
  if (!scope.perchModel) {
    if (typeof scope.importScripts !== 'function' || !scope.location) throw new Error('not in a classic worker');
    scope.importScripts(new URL(MODEL_SCRIPT, scope.location.href).href);
  }
  if (!scope.perchModel?.createModelService) throw new Error(`${MODEL_SCRIPT} did not register`);
  return scope.perchModel;
}
