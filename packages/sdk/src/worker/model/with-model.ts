/**
 * Adds the model side to the worker's storage API without touching it: `rerank`, `intent`, `loadModel`
 * and `modelStatus` come from `ModelService`; `open`, `write` and `forget` also tell the model side; every
 * other method goes to the store unchanged (so methods added to the store later pass through).
 */
import type { PerchWorkerApi, StoreOptions, WriteBatch } from '../../shared/worker-api.js';
import { ModelService } from './service.js';

export function withModel(store: PerchWorkerApi): PerchWorkerApi {
  const model = new ModelService(() => store.dump());
  const own: Partial<PerchWorkerApi> = {
    open: (o: StoreOptions) => {
      model.configure(o.dbName, o.idbOpenTimeoutMs);
      return store.open(o);
    },
    write: async (b: WriteBatch) => {
      const s = await store.write(b);
      model.eventsStored();
      return s;
    },
    forget: async () => {
      await store.forget();
      model.forgotten();
    },
    loadModel: (o) => model.loadModel(o),
    modelStatus: () => model.modelStatus(),
    rerank: (r) => model.rerank(r),
    intent: () => model.intent(),
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (Object.prototype.hasOwnProperty.call(own, prop)) return own[prop as keyof PerchWorkerApi];
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
