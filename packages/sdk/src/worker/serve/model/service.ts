/**
 * The worker's model side (`PerchModelApi`): delivery, backend, live intent state, rerank, intent profile.
 * Every method resolves: without a model, without consent or after an error the shop's order (or an empty
 * profile) comes back with a reason. Other tabs' workers are told about new events over a BroadcastChannel
 * and fold them into their own state.
 */
import type { BackendName } from '@perch/model/backend';
import type { IntentProfile } from '../../../types.js';
import type { ModelLoadOptions, ModelStatus, PerchModelApi, RerankReply, RerankRequest } from '../../../shared/rerank/api.js';
import { newCallId } from '../rerank/attribution.js';
import { indexHistory } from '../rerank/explain.js';
import { rerankList, unchanged } from '../rerank/rerank.js';
import type { StoreDump } from '../../../shared/worker-api.js';
import { EventMapper } from '../featurise/events.js';
import { buildProfile } from '../featurise/profile.js';
import { IntentTracker, type EventSource } from '../featurise/tracker.js';
import type { ModelTrust } from '../../../shared/model-trust.js';
import { loadTrust } from '../trust/trust-script.js';
import { ModelCache, type KeyedEvent } from './cache.js';
import { deliver, UNCHECKED, type ManifestCheck } from './delivery.js';
import { ModelRuntime } from './runtime.js';

interface Live { rt: ModelRuntime; mapper: EventMapper; tracker: IntentTracker; version: string }

export class ModelService implements PerchModelApi {
  private status: ModelStatus = { state: 'none', version: null };
  private live: Live | null = null;
  private loading: Promise<ModelStatus> | null = null;
  private cache: ModelCache | null = null;
  private channel: BroadcastChannel | null = null;
  private dbName = 'perch';

  /**
   * @param dump reads the whole stored sequence (used only when IndexedDB cannot be read directly).
   * @param storeErased whether the event store holds the database erased (`forget()` until the next write).
   */
  constructor(private readonly dump: () => Promise<StoreDump>, private readonly storeErased: () => boolean) {}

  /** Called with the store's options: which database holds the events and the model cache. */
  configure(dbName: string, timeoutMs: number): void {
    this.dbName = dbName;
    this.cache?.close();
    this.cache = new ModelCache(dbName, timeoutMs, this.storeErased);
    this.channel?.close();
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel(`perch-intent:${dbName}`);
      this.channel.onmessage = (e) => void (e.data === 'deleted' ? this.live?.tracker.rebuildFromStore() : this.live?.tracker.sync());
    }
  }

  loadModel(options: ModelLoadOptions): Promise<ModelStatus> {
    if (this.loading) return this.loading;
    this.loading = this.load(options).finally(() => { this.loading = null; });
    return this.loading;
  }

  async modelStatus(): Promise<ModelStatus> {
    const t = this.live?.tracker;
    if (!t) return { ...this.status };
    const s = t.stepTimes.slice().sort((a, b) => a - b);
    const q = (f: number): number => s[Math.min(s.length - 1, Math.floor(f * s.length))] ?? 0;
    return { ...this.status, intentEvents: t.stepped, ...(s.length ? { stepMs: { median: q(0.5), p95: q(0.95), n: s.length } } : {}) };
  }

  /** After a write: fold the new events in, and tell the other tabs. */
  eventsStored(): void {
    if (!this.live) return;
    void this.live.tracker.sync();
    this.channel?.postMessage('events');
  }

  /** After single events were deleted: rebuild the state and history from what remains, in this tab and the others. */
  eventsDeleted(): void {
    if (!this.live) return;
    void this.live.tracker.rebuildFromStore();
    this.channel?.postMessage('deleted');
  }

    /** After `forget()`: the saved state and history are gone with the database. */
  forgotten(): void {
    this.live?.tracker.reset();
    this.cache?.close(); // it opens none (which would recreate the database) while the store reports it erased
  }

  async rerank(req: RerankRequest): Promise<RerankReply> {
    const t0 = performance.now();
    const items = Array.isArray(req?.items) ? req.items : [];
    const callId = newCallId();
    const finish = (r: ReturnType<typeof unchanged>): RerankReply => ({ ...r, modelVersion: this.status.version, backend: this.status.backend ?? null, workerMs: performance.now() - t0 });
    if (req?.personalization !== 'granted') return finish(unchanged(items.length, 'no consent for personalization', callId));
    const live = this.live;
    if (!live) return finish(unchanged(items.length, this.status.error ? `no model: ${this.status.error}` : 'no model', callId));
    try {
      await live.tracker.settled();
      const cands = items.map((c) => live.mapper.candidate(c));
      const known: number[] = [];
      cands.forEach((c, i) => c !== null && known.push(i));
      const state = live.tracker.state;
      const raw = known.length ? await live.rt.run((m) => m.score(state, known.map((i) => cands[i]!))) : new Float32Array(0);
      this.status.backend = live.rt.info.backend;
      this.status.backendReason = live.rt.info.reason;
      const scores: (number | null)[] = new Array(items.length).fill(null);
      known.forEach((i, k) => (scores[i] = raw[k] as number));
      return finish(rerankList({ items, modelScores: scores, options: req.options, history: indexHistory(live.tracker.history), callId }));
    } catch (e) {
      return finish(unchanged(items.length, `model error: ${(e as Error)?.message ?? e}`, callId));
    }
  }

  async intent(): Promise<IntentProfile> {
    const live = this.live;
    if (!live) return { purchaseIntent: null, categories: [], brands: [], recent: [] };
    try {
      await live.tracker.settled();
      const s = live.tracker.state;
      const purchase = s.length > 0 ? (await live.rt.run((m) => m.intent(s))).purchase : null;
      return buildProfile(live.tracker.history, purchase);
    } catch {
      return buildProfile(live.tracker.history, null);
    }
  }

  private async load(o: ModelLoadOptions): Promise<ModelStatus> {
    const t0 = performance.now();
    const cache = this.cache ?? (this.cache = new ModelCache('perch', 3000, this.storeErased));
    try {
      if (typeof o?.url !== 'string' || !o.url) throw new Error('no model URL');
      const url = new URL(o.url, self.location.href).href;
      const d = await deliver(url, cache, o.trust ? this.checks(o.trust) : UNCHECKED);
      const version = d.loaded.manifest.modelVersion;
      const trust = { signature: d.trust.signature, ...(d.trust.log ? { log: d.trust.log } : {}) };
      if (this.live && this.live.version === version) {
        const { log: _stale, ...rest } = this.status;
        this.status = { ...rest, ...trust, error: d.error, source: d.source };
        return this.modelStatus();
      }
      const rt = await ModelRuntime.create(d.loaded, { force: o.backend as BackendName | undefined, wasmPaths: o.wasmPaths, test: o.test });
      const mapper = new EventMapper(d.loaded.vocab);
      const tracker = new IntentTracker(rt, mapper, version, cache, this.source(cache));
      await tracker.start();
      this.live?.rt.dispose();
      this.live = { rt, mapper, tracker, version };
      this.status = {
        state: 'ready', version, sha256: d.manifestSha256, backend: rt.info.backend, backendReason: rt.info.reason,
        source: d.source, loadMs: performance.now() - t0, warmMs: rt.warmMs, ...trust, ...(d.error ? { error: d.error } : {}),
      };
    } catch (e) {
      const error = `${(e as Error)?.message ?? e}`;
      this.status = this.live ? { ...this.status, error } : { state: 'failed', version: null, error };
    }
    return this.modelStatus();
  }

  /** The pinned keys' checks (perch-trust.js, loaded on first use), shared with the federated client. */
  private checks(trust: ModelTrust): ManifestCheck {
    const c = loadTrust().checker(this.dbName);
    return { check: (m) => c.check(m, trust), recheck: (m) => c.recheck(m, trust) };
  }

  /** Stored events by key from IndexedDB; from the store's dump (positions as keys) when that fails. */
  private source(cache: ModelCache): EventSource {
    return async (after, limit) => {
      const direct = await cache.eventsAfter(after, limit);
      if (direct) return direct;
      const all = (await this.dump()).events.map((value, i): KeyedEvent => ({ key: i + 1, value }));
      return all.filter((e) => e.key > after).slice(-limit);
    };
  }
}
