/**
 * The page side of Perch: consent gating, snapshotting `track()` calls, batching and the link to the
 * storage worker (which validates them).
 * One instance per page (the entries keep a singleton). Methods here may throw; `api.ts` wraps them so
 * nothing escapes into the shop's page.
 */
import type {
  AuditReport, ConsentSource, ConsentState, ExportedData, ForgetResult, IntentProfile, RerankOptions, RerankResult, ShopItem,
} from '../types.js';
import { resolveRetention } from '../shared/retention.js';
import type { RawCall, StoreOptions } from '../shared/worker-api.js';
import type { PushVia } from '../shared/events/datalayer.js';
import { resolveAssetBase, resolveWorkerUrl } from './assets.js';
import { startBackend } from './storage/backend.js';
import { loadChunk } from './chunks.js';
import type { Backend } from './storage/backend.js';
import { type InternalConfig, deleteFromPage, readConfig } from './config.js';
import { ConsentManager } from './consent/manager.js';
import { Held } from './track/held.js';
import { type TabNotice, onPageHide, tabChannel } from './lifecycle.js';
import { debug, setDebug } from './log.js';
import { Outbox } from './track/outbox.js';
import { buildAudit, buildExport } from './report.js';
import { snapshot } from './track/snapshot.js';
import { wireSignals } from './wiring.js';
import type { WorkerHooks } from './storage/worker-hooks.js';

export type { InternalConfig } from './config.js';

const DEFAULT_OPEN_TIMEOUT_MS = 3_000;
/** Extra time the worker gets, beyond the IndexedDB open deadline, to answer before the page takes over. */
const WORKER_START_GRACE_MS = 5_000;
/** Default `rerank()`/`intent()` budget: past it the shop's order (or an empty profile) comes back. */
export const DEFAULT_RERANK_TIMEOUT_MS = 200;

/** The shop's order, unchanged, with the reason. Never throws (a list that cannot be read gives no items). */
export function shopOrder<T extends ShopItem>(list: readonly T[], reason: string): RerankResult<T> {
  let items: RerankResult<T>['items'] = [];
  try {
    if (Array.isArray(list)) items = list.map((item, i) => ({ item, score: 0, originalIndex: i }));
  } catch { /* a hostile array */ }
  return { items, personalized: false, reason };
}

export function emptyIntent(): IntentProfile {
  return { purchaseIntent: null, categories: [], brands: [], recent: [] };
}

/** `work` or, past `ms`, `late` (the worker cannot be interrupted; the page just stops waiting). */
function within<T>(ms: number, work: Promise<T>, late: () => T): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timer = new Promise<T>((resolve) => { t = setTimeout(() => resolve(late()), ms); });
  return Promise.race([work, timer]).finally(() => clearTimeout(t));
}

export class PerchClient {
  readonly consent = new ConsentManager();
  #config: InternalConfig = {};
  #started = false;
  readonly #held = new Held();
  // 250 calls per message: one structured clone stays around a millisecond on a mid-range phone.
  readonly #outbox = new Outbox(() => this.#send(), { delayMs: 25, maxBatch: 250 });
  #backend: Backend | null = null;
  #starting: Promise<Backend> | null = null;
  readonly #inflight = new Set<Promise<unknown>>();
  /** How much of the consent log the current database already has. */
  #sentLog = 0;
  /** After `forget()`, consent entries alone do not recreate the database; the next event does. */
  #forgotten = false;
  #fromTab = false;
  /** A database from an earlier visit is being read to restore its consent (see `restore()`). */
  #restoring = false;
  #signals = { gpc: false, dnt: false };
  readonly #cleanups: Array<() => void> = [];
  #channel: { post(n: TabNotice): void; close(): void } | null = null;
  #initDone: Promise<void> = Promise.resolve();
  readonly #chunkErrors: string[] = [];
  /** Federated tunables (from `config.federated`) and the page-activity watcher (only in `mode: 'federated'`). */
  /** Page-side work that needs a running worker (model, rerank prefetch, federated, audit parts); in perch-link.js. */
  #hooks: WorkerHooks | null = null;

  constructor() {
    // Listening from the start: consent.set() may come before init() (e.g. from the snippet queue).
    this.consent.onChange((next, prev, source) => this.#onConsent(next, prev, source));
  }

  init(config: InternalConfig): Promise<void> {
    if (this.#started) {
      debug('init() again: ignored');
      return this.#initDone;
    }
    this.#config = readConfig(config);
    this.#started = true;
    setDebug(!!this.#config.debug);
    this.#channel = tabChannel(this.#dbName, (n) => this.#onTabNotice(n));
    this.#cleanups.push(onPageHide(() => this.#onHide()));
    this.#signals = wireSignals(this.#config, this.consent, this.#cleanups, (n, p, v) => this.track(n, p, v),
      resolveAssetBase(this.#config), (reason) => { this.#chunkErrors.push(reason); debug(reason); });
    if (this.#config.consent) this.consent.set(this.#config.consent, 'init', true);
    const storage = this.consent.value('storage');
    this.#initDone = storage === 'granted' ? this.#startStoring()
      : storage === 'pending' ? this.#restore()
      : deleteFromPage(this.#dbName); // denied: no Perch data may stay from an earlier visit
    return this.#initDone;
  }

  ready(): Promise<void> {
    return this.#initDone.then(() => this.#starting?.then(() => undefined));
  }

  /**
   * Hot path: a bounded snapshot of the arguments, pushed onto an array; the worker validates it. Returns
   * whether the call was kept for validation (false when `storage` is denied: nothing may be kept).
   */
  track(name: unknown, props: unknown, via?: PushVia): boolean {
    const storage = this.consent.value('storage');
    if (storage === 'denied') return false;
    const call: RawCall = [snapshot(name), snapshot(props), Date.now(), via];
    if (storage === 'granted') {
      this.#forgotten = false;
      this.#outbox.pushCall(call);
    } else this.#held.pushCall(call);
    return true;
  }

  async flush(): Promise<void> {
    const b = await this.#currentBackend();
    if (!b) return;
    // One slice per task: a backlog of thousands of calls is never cloned in one long task.
    while (this.#send() && this.#outbox.calls > 0) await new Promise((r) => setTimeout(r, 0));
    await Promise.allSettled([...this.#inflight]);
    b.status = await b.api.flush();
  }

  /**
   * Without `eventIds`: erases everything (queued calls, the database). With a plain object: deletes only
   * `options.eventIds`; a plain object without `eventIds` is refused (a typo must not erase everything).
   * Anything else (e.g. a click event when wired as a handler) counts as no argument.
   */
  async forget(options?: unknown): Promise<ForgetResult> {
    const plain = typeof options === 'object' && options !== null && [Object.prototype, null].includes(Object.getPrototypeOf(options));
    if (plain) return this.#forgetEvents((options as { eventIds?: unknown }).eventIds);
    this.#outbox.clear();
    this.#held.clear();
    this.#channel?.post({ t: 'forget' });
    await this.#eraseStorage();
    return { ok: true };
  }

  /** Per-event delete: the code is in perch-link.js (`forget-events.ts`), fetched on first use if no worker needed it. */
  async #forgetEvents(eventIds: unknown): Promise<ForgetResult> {
    const b = await this.#currentBackend();
    if (!b) return { ok: false, deleted: 0, reason: `nothing stored (storage consent ${this.consent.value('storage')})` };
    return (await loadChunk('link', resolveAssetBase(this.#config))).forgetEvents(b.api, eventIds);
  }

  async exportData(): Promise<ExportedData> {
    const b = await this.#currentBackend();
    if (b) await this.flush();
    return buildExport(this.consent, b ? await b.api.dump() : null);
  }

  async audit(): Promise<AuditReport> {
    const b = await this.#currentBackend();
    if (b) await this.flush();
    const report = buildAudit({
      consent: this.consent,
      held: this.#held,
      stats: b ? await b.api.stats() : null,
      model: b?.api.modelStatus ? await b.api.modelStatus().catch(() => null) : null,
      worker: b ? { ...b.worker } : null,
      retention: resolveRetention(this.#config.retention),
      signals: this.#signals,
      chunkErrors: this.#chunkErrors,
    });
    // The worker's transparency log, privacy budget and federated client state.
    if (b && this.#hooks) await this.#hooks.audit(report, b);
    return report;
  }

  /**
   * Reorders `list` in the worker within `options.timeoutMs` (default {@link DEFAULT_RERANK_TIMEOUT_MS});
   * the shop's order (`personalized: false`, with the reason) without `personalization` consent, without a
   * worker, on timeout or on error. Never waits for storage to start beyond the budget.
   */
  rerank<T extends ShopItem>(list: readonly T[], options?: RerankOptions): Promise<RerankResult<T>> {
    return this.#rerank(list, options).then((r) => {
      this.#reportImpression(r, options);
      return r;
    });
  }

  /** The impression of the list as returned (personalised or not), unless `reportImpression: false`. */
  #reportImpression(r: RerankResult<ShopItem>, options: unknown): void {
    // The impression code lives in perch-rerank.js (kept out of the loader); loading it never delays the answer.
    loadChunk('rerank', resolveAssetBase(this.#config)).then((m) => {
      const props = m.impressionFor(r, options);
      if (props) this.track('view_item_list', props);
    }).catch((e: unknown) => debug('impression', e));
  }

  #rerank<T extends ShopItem>(list: readonly T[], options?: RerankOptions): Promise<RerankResult<T>> {
    if (!Array.isArray(list)) return Promise.resolve(shopOrder([], 'list is not an array'));
    const personalization = this.consent.value('personalization');
    if (personalization !== 'granted') return Promise.resolve(shopOrder(list, `personalization consent ${personalization}`));
    let ms = DEFAULT_RERANK_TIMEOUT_MS;
    try {
      const t = options?.timeoutMs;
      if (typeof t === 'number' && t >= 0) ms = Math.min(t, 60_000);
    } catch { /* hostile options: the default budget */ }
    const work = (async () => {
      const b = await this.#currentBackend();
      if (!b || !b.worker.running) return shopOrder(list, `no worker${b?.worker.reason ? `: ${b.worker.reason}` : ''}`);
      const m = await loadChunk('rerank', resolveAssetBase(this.#config));
      return m.rerankInWorker(b.api, list, options, personalization);
    })().catch(() => shopOrder(list, 'error'));
    return within(ms, work, () => shopOrder(list, `timeout after ${ms} ms`));
  }

  /** The worker's intent profile within the rerank budget; empty without consent, worker or model. */
  intent(): Promise<IntentProfile> {
    if (this.consent.value('personalization') !== 'granted') return Promise.resolve(emptyIntent());
    const work = (async () => {
      const b = await this.#currentBackend();
      return b?.api.intent ? await b.api.intent() : emptyIntent();
    })().catch(() => emptyIntent());
    return within(DEFAULT_RERANK_TIMEOUT_MS, work, emptyIntent);
  }

  async destroy(): Promise<void> {
    await this.flush().catch(() => undefined);
    for (const c of this.#cleanups.splice(0)) {
      try { c(); } catch { /* adapter already gone */ }
    }
    this.consent.clearListeners();
    this.#channel?.close();
    this.#outbox.clear();
    const b = this.#backend;
    this.#backend = null;
    if (b) {
      await b.api.close().catch(() => undefined);
      b.terminate();
    }
  }

  // --- internals -------------------------------------------------------------------------------

  get #dbName(): string {
    return typeof this.#config.dbName === 'string' && this.#config.dbName ? this.#config.dbName : 'perch';
  }

  #storeOptions(): StoreOptions {
    const t = this.#config.idbOpenTimeoutMs;
    const opts: StoreOptions = {
      dbName: this.#dbName,
      retention: resolveRetention(this.#config.retention),
      idbOpenTimeoutMs: typeof t === 'number' && t > 0 ? t : DEFAULT_OPEN_TIMEOUT_MS,
    };
    if (this.#config.__test) opts.test = this.#config.__test;
    return opts;
  }

  #ensureBackend(): Promise<Backend> {
    if (this.#backend) return Promise.resolve(this.#backend);
    if (!this.#starting) {
      const opts = this.#storeOptions();
      this.#starting = startBackend(resolveWorkerUrl(this.#config), opts, opts.idbOpenTimeoutMs + WORKER_START_GRACE_MS, resolveAssetBase(this.#config))
        .then((b) => this.#onBackend(b));
    }
    return this.#starting;
  }

  async #onBackend(b: Backend): Promise<Backend> {
    this.#starting = null;
    debug('storage:', b.status.kind, b.status.reason ?? '', 'worker:', b.worker);
    this.#backend = b;
    const storage = this.consent.value('storage');
    if (storage !== 'granted' && !(this.#restoring && storage === 'pending')) {
      // Consent was withdrawn while the worker was starting.
      await this.#eraseStorage();
      return b;
    }
    this.#send();
    this.#startHooks(b);
    return b;
  }

  /** With a running worker, the hooks in perch-link.js (already loaded: it started the worker) take over. */
  #startHooks(b: Backend): void {
    if (!b.worker.running) return;
    loadChunk('link', resolveAssetBase(this.#config)).then((link) => {
      if (this.#backend !== b) return; // destroyed or restarted meanwhile
      this.#hooks ??= link.workerHooks({
        config: this.#config, consent: this.consent, signals: this.#signals, backend: () => this.#backend, cleanups: this.#cleanups,
      });
      this.#hooks.started(b);
    }).catch((e: unknown) => debug('hooks', e));
  }

  /**
   * Return visit with `storage` still pending: a Perch database exists only if storage was granted before
   * (withdrawal deletes it), so its last consent state is restored for the purposes still pending. Nothing
   * is opened when no database exists (`indexedDB.databases()` does not create one).
   */
  async #restore(): Promise<void> {
    const idb = typeof indexedDB !== 'undefined' ? indexedDB : undefined;
    if (!idb || typeof idb.databases !== 'function') return;
    const names = (await idb.databases().catch(() => [])).map((d) => d.name);
    if (!names.includes(this.#dbName) || this.consent.value('storage') !== 'pending') return;
    this.#restoring = true;
    try {
      const b = await this.#ensureBackend();
      const stored = await b.api.lastConsent().catch(() => null);
      const now = this.consent.get();
      const update: Partial<ConsentState> = {};
      for (const p of ['storage', 'personalization', 'training'] as const) {
        if (stored && now[p] === 'pending' && stored[p] !== 'pending') update[p] = stored[p];
      }
      if (Object.keys(update).length) this.consent.set(update, 'storage-restore');
    } finally {
      this.#restoring = false;
    }
    if (this.consent.value('storage') !== 'granted' && this.#backend) {
      // Nothing to restore into: stop the worker again, leave the database as it was.
      const b = this.#backend;
      this.#backend = null;
      await b.api.close().catch(() => undefined);
      b.terminate();
    }
  }

  async #currentBackend(): Promise<Backend | null> {
    if (this.#starting) await this.#starting;
    return this.#backend;
  }

  /** Hands the outbox (plus consent log entries the database lacks) to the storage side. */
  #send(): boolean {
    const b = this.#backend;
    if (!b || this.consent.value('storage') !== 'granted') return false;
    const batch = this.#outbox.take() ?? { calls: [], events: [], rejections: [], consent: [] };
    if (batch.calls.length) this.#forgotten = false;
    if (!this.#forgotten) {
      batch.consent = this.consent.log.slice(this.#sentLog);
      this.#sentLog = this.consent.log.length;
    }
    if (!batch.calls.length && !batch.consent.length) return false;
    const p = b.api.write(batch).then(
      (s) => { b.status = s; },
      (e: unknown) => debug('write failed', e),
    );
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
    return true;
  }

  /** Sends everything waiting now, one message per `maxBatch` calls, in this task (the page is going away). */
  #sendAll(): void {
    while (this.#send() && this.#outbox.calls > 0) { /* next slice */ }
  }

  #onHide(): void {
    this.#sendAll();
    const b = this.#backend;
    if (b) b.api.flush().then((s) => { b.status = s; }, () => undefined);
  }

  #onConsent(next: ConsentState, prev: ConsentState, source: ConsentSource): void {
    if (!this.#fromTab) this.#channel?.post({ t: 'consent', state: next, source });
    this.#hooks?.consentChanged(next, prev);
    if (next.storage === 'granted') {
      if (prev.storage !== 'granted') {
        this.#moveHeld();
        if (this.#started) void this.#startStoring();
      } else this.#send();
    } else if (prev.storage === 'granted' && this.#started) {
      void this.#withdraw();
    } else if (next.storage === 'denied') {
      this.#outbox.clear();
      this.#held.clear();
    }
  }

  /** Storage was granted: held events go first (stored order = call order), then the worker starts. */
  #startStoring(): Promise<void> {
    this.#moveHeld();
    return this.#ensureBackend().then(() => { this.#send(); }, (e: unknown) => debug("start failed", e));
  }

  #moveHeld(): void {
    for (const c of this.#held.calls) this.#outbox.pushCall(c);
    this.#held.clear();
  }

  /** `storage` is no longer granted: drop everything queued, erase the database, stop the worker. */
  async #withdraw(): Promise<void> {
    this.#outbox.clear();
    this.#held.clear();
    await this.#eraseStorage();
  }

  async #eraseStorage(): Promise<void> {
    const b = await this.#currentBackend().catch(() => null);
    await Promise.allSettled([...this.#inflight]);
    this.#sentLog = 0;
    this.#forgotten = true;
    if (b) {
      await b.api.forget().catch((e: unknown) => debug('forget failed', e));
      if (this.consent.value('storage') !== 'granted') {
        this.#backend = null;
        await b.api.close().catch(() => undefined);
        b.terminate();
        // Last sweep from the page, with the worker gone: if its delete was still blocked, or anything of it
        // wrote after the erase (recreating the database), nothing may stay once storage is withdrawn.
        await deleteFromPage(this.#dbName);
      }
    } else {
      await deleteFromPage(this.#dbName);
    }
  }

  #onTabNotice(n: TabNotice): void {
    if (n.t === 'forget') {
      this.#outbox.clear();
      this.#held.clear();
      // Our worker must also treat the database as gone, or its next read would recreate it.
      void this.#eraseStorage();
      return;
    }
    const upToDate = this.#sentLog === this.consent.log.length;
    this.#fromTab = true;
    try {
      this.consent.set(n.state, n.source);
    } finally {
      this.#fromTab = false;
    }
    // The tab that made the change already persisted the entry in the shared database.
    if (upToDate) this.#sentLog = this.consent.log.length;
  }
}
