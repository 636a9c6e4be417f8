/**
 * Adds the federated client to the worker's API without touching the store or the model side:
 * `federatedHint` / `federatedStatus` are new; `open` (which database), `loadModel` (remembered, so a newer
 * aggregator version can be loaded with the page's own options), `forget` and `close` also tell the client;
 * every other method passes through unchanged.
 */
import type { ModelLoadOptions } from '../../shared/rerank/api.js';
import type { FederatedHint } from '../../shared/federated/api.js';
import type { PerchWorkerApi, StoreOptions } from '../../shared/worker-api.js';
import { FederatedClient } from './client.js';

export function withFederated(inner: PerchWorkerApi): PerchWorkerApi {
  let client: FederatedClient | null = null;
  let modelOptions: ModelLoadOptions | null = null;
  const make = (dbName: string): FederatedClient => new FederatedClient({
    dbName,
    events: async () => (await inner.dump()).events,
    modelVersion: async () => (inner.modelStatus ? (await inner.modelStatus()).version : null),
    refreshModel: () => { if (modelOptions && inner.loadModel) void inner.loadModel(modelOptions); },
  });
  const own: Partial<PerchWorkerApi> = {
    open: (o: StoreOptions) => {
      client?.close();
      client = make(o.dbName);
      return inner.open(o);
    },
    loadModel: (o) => {
      modelOptions = o;
      return inner.loadModel!(o);
    },
    forget: async () => {
      // The client first: a round running in this worker stops before the data is gone, not after.
      await client?.forgotten();
      await inner.forget();
    },
    close: async () => {
      client?.close();
      await inner.close();
    },
    federatedHint: async (h: FederatedHint) => { client?.setHint(h); },
    federatedStatus: async () => {
      if (!client) throw new Error('storage not open');
      return client.status();
    },
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (Object.prototype.hasOwnProperty.call(own, prop)) {
        if (prop === 'loadModel' && !target.loadModel) return undefined;
        return own[prop as keyof PerchWorkerApi];
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
