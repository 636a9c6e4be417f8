/**
 * Adds the model side to the worker's storage API without touching it: `rerank`, `intent`, `loadModel`
 * and `modelStatus` come from `ModelService`; `open`, `write`, `forget` and `forgetEvents` also tell the
 * model side (a deleted event must stop shaping the intent state and the explanations); every
 * other method goes to the store unchanged (so methods added to the store later pass through).
 *
 * The model side (tfjs and its backends, the plain kernels, delivery, the intent state: most of the
 * worker's bytes) lives in its own script, `perch-model.js`, next to `perch-worker.js`. It is loaded with
 * `importScripts` on the first `loadModel()` call, which the page makes only once personalization is
 * granted and a model URL is configured: a storage-only session never downloads it. Until then `rerank`
 * returns the shop's order and `intent` an empty profile, from this file alone.
 */
import type { IntentProfile } from '../../../types.js';
import type { ModelLoadOptions, ModelStatus, RerankReply, RerankRequest } from '../../../shared/rerank/api.js';
import { newCallId } from '../rerank/attribution.js';
import { unchanged } from '../rerank/rerank.js';
import type { PerchWorkerApi, StoreDump, StoreOptions, WriteBatch } from '../../../shared/worker-api.js';
import { loadModelRuntime, type ModelSide } from './runtime-script.js';

/** The model side as the core worker sees it, loaded on demand. */
class LazyModel {
  private side: ModelSide | null = null;
  private loadError: string | null = null;
  private db: { name: string; timeoutMs: number } | null = null;

  constructor(private readonly dump: () => Promise<StoreDump>, private readonly storeErased: () => boolean) {}

  configure(name: string, timeoutMs: number): void {
    this.db = { name, timeoutMs };
    this.side?.configure(name, timeoutMs);
  }

  async loadModel(o: ModelLoadOptions): Promise<ModelStatus> {
    if (!this.side) {
      try {
        this.side = loadModelRuntime().createModelService(this.dump, this.storeErased);
        if (this.db) this.side.configure(this.db.name, this.db.timeoutMs);
      } catch (e) {
        this.loadError = `model runtime script failed to load: ${(e as Error)?.message ?? e}`;
        return { state: 'failed', version: null, error: this.loadError };
      }
    }
    return this.side.loadModel(o);
  }

  async modelStatus(): Promise<ModelStatus> {
    if (this.side) return this.side.modelStatus();
    return this.loadError ? { state: 'failed', version: null, error: this.loadError } : { state: 'none', version: null };
  }

  eventsStored(): void { this.side?.eventsStored(); }

  eventsDeleted(): void { this.side?.eventsDeleted(); }

  forgotten(): void { this.side?.forgotten(); }

  async rerank(r: RerankRequest): Promise<RerankReply> {
    if (this.side) return this.side.rerank(r);
    const t0 = performance.now();
    const n = Array.isArray(r?.items) ? r.items.length : 0;
    const reason = r?.personalization !== 'granted' ? 'no consent for personalization' : this.loadError ? `no model: ${this.loadError}` : 'no model';
    return { ...unchanged(n, reason, newCallId()), modelVersion: null, backend: null, workerMs: performance.now() - t0 };
  }

  async intent(): Promise<IntentProfile> {
    return this.side ? this.side.intent() : { purchaseIntent: null, categories: [], brands: [], recent: [] };
  }
}

/** @param storeErased the store's own "database erased" state (see `StoreService.isErased`). */
export function withModel(store: PerchWorkerApi, storeErased: () => boolean): PerchWorkerApi {
  const model = new LazyModel(() => store.dump(), storeErased);
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
    forgetEvents: async (ids: number[]) => {
      const r = await store.forgetEvents(ids);
      if (r.deleted.length) model.eventsDeleted();
      return r;
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
