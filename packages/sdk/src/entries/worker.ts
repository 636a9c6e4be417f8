/**
 * The web worker: owns IndexedDB and exposes `PerchWorkerApi` to the page through comlink.
 * Built as its own bundle (`dist/perch-worker.js`); the page loads it from `assetBase`/`workerUrl`.
 */
import { expose } from 'comlink';
import { storedEventProblem } from '../shared/events/index.js';
import { MemoryStore } from '../shared/memory-store.js';
import type { Store } from '../shared/store.js';
import { StoreService, errName } from '../shared/store-service.js';
import type { StoreOptions } from '../shared/worker-api.js';
import { IdbStore } from '../worker/serve/store/idb-store.js';
import { OpenError } from '../worker/serve/store/open.js';
import { applyTestFlags } from '../worker/test-hooks.js';
import { withModel } from '../worker/serve/model/with-model.js';
import { withFederated } from '../worker/learn/with-federated.js';

async function openStore(options: StoreOptions): Promise<Store> {
  applyTestFlags(options.test);
  try {
    return await IdbStore.open(options.dbName, options.idbOpenTimeoutMs);
  } catch (e) {
    return new MemoryStore('memory-worker', e instanceof OpenError ? e.reason : `IndexedDB: ${errName(e)}`);
  }
}

const store = new StoreService(openStore, 'memory-worker', storedEventProblem);
expose(withFederated(withModel(store, () => store.isErased())));
