/**
 * The main-thread fallback when no worker can run: `PerchWorkerApi` over a `MemoryStore`, validating the
 * page's raw calls itself (`intake`, the same boundary the worker runs). Nothing here can hit a quota or a
 * slow disk, so none of the worker's queueing and degradation is needed. Shipped in `perch-fallback.js`,
 * not in the loader.
 */
import type { ConsentState } from '../../types.js';
import { readEventIds } from '../../shared/event-ids.js';
import { MemoryStore } from '../../shared/memory-store.js';
import { ageCutoff } from '../../shared/retention.js';
import { intake } from '../../shared/store-service.js';
import type { ForgetEventsResult, PerchWorkerApi, Retention, StoreDump, StoreOptions, StoreStats, StoreStatus, WriteBatch } from '../../shared/worker-api.js';

export class MainMemoryApi implements PerchWorkerApi {
  private store: MemoryStore;
  private retention: Retention = { maxEvents: 5_000, maxAgeDays: 90 };

  constructor(reason: string) {
    this.store = new MemoryStore('memory-main', reason);
  }

  async open(options: StoreOptions): Promise<StoreStatus> {
    this.retention = options.retention;
    await this.store.pruneOlderThan(ageCutoff(Date.now(), options.retention));
    return this.store.status;
  }

  async write(batch: WriteBatch): Promise<StoreStatus> {
    await this.store.append(intake(batch), this.retention);
    return this.store.status;
  }

  async flush(): Promise<StoreStatus> {
    return this.store.status;
  }

  stats(): Promise<StoreStats> {
    return this.store.stats();
  }

  lastConsent(): Promise<ConsentState | null> {
    return this.store.lastConsent();
  }

  dump(): Promise<StoreDump> {
    return this.store.dump();
  }

  forget(): Promise<void> {
    return this.store.destroy();
  }

  async forgetEvents(ids: number[]): Promise<ForgetEventsResult> {
    const read = readEventIds(ids);
    if ('problem' in read) throw new TypeError(read.problem);
    const deleted = await this.store.deleteEvents(read.ids);
    const gone = new Set(deleted);
    return { deleted, missing: read.ids.filter((id) => !gone.has(id)) };
  }

  async close(): Promise<void> {}
}
