/**
 * The page side of Perch: consent gating, validation, batching and the link to the storage worker.
 * One instance per page (the entries keep a singleton). Methods here may throw; `api.ts` wraps them so
 * nothing escapes into the shop's page.
 */
import type { AuditReport, ConsentSource, ConsentState, ExportedData, Rejection } from '../types.js';
import { validateEvent } from '../shared/events/index.js';
import { resolveRetention } from '../shared/retention.js';
import type { StoreOptions } from '../shared/worker-api.js';
import { resolveWorkerUrl } from './assets.js';
import { type Backend, startBackend } from './backend.js';
import { type InternalConfig, deleteFromPage, readConfig } from './config.js';
import { ConsentManager } from './consent/manager.js';
import { Held } from './held.js';
import { type TabNotice, onPageHide, tabChannel } from './lifecycle.js';
import { debug, setDebug } from './log.js';
import { Outbox } from './outbox.js';
import { buildAudit, buildExport } from './report.js';
import { wireSignals } from './wiring.js';

export type { InternalConfig } from './config.js';

const DEFAULT_OPEN_TIMEOUT_MS = 3_000;
/** Extra time the worker gets, beyond the IndexedDB open deadline, to answer before the page takes over. */
const WORKER_START_GRACE_MS = 5_000;

export class PerchClient {
  readonly consent = new ConsentManager();
  private config: InternalConfig = {};
  private started = false;
  private readonly held = new Held();
  private readonly outbox = new Outbox(() => this.send(), { delayMs: 25, maxBatch: 500 });
  private backend: Backend | null = null;
  private starting: Promise<Backend> | null = null;
  private readonly inflight = new Set<Promise<unknown>>();
  /** How much of the consent log the current database already has. */
  private sentLog = 0;
  /** After `forget()`, consent entries alone do not recreate the database; the next event does. */
  private forgotten = false;
  private fromTab = false;
  /** A database from an earlier visit is being read to restore its consent (see `restore()`). */
  private restoring = false;
  private signals = { gpc: false, dnt: false };
  private readonly cleanups: Array<() => void> = [];
  private channel: { post(n: TabNotice): void; close(): void } | null = null;
  private initDone: Promise<void> = Promise.resolve();

  constructor() {
    // Listening from the start: consent.set() may come before init() (e.g. from the snippet queue).
    this.consent.onChange((next, prev, source) => this.onConsent(next, prev, source));
  }

  init(config: InternalConfig): Promise<void> {
    if (this.started) {
      debug('init() called twice; the first configuration stays');
      return this.initDone;
    }
    this.config = readConfig(config);
    this.started = true;
    setDebug(!!this.config.debug);
    this.channel = tabChannel(this.dbName, (n) => this.onTabNotice(n));
    this.cleanups.push(onPageHide(() => this.onHide()));
    this.signals = wireSignals(this.config, this.consent, this.cleanups, (n, p) => this.track(n, p));
    if (this.config.consent) this.consent.set(this.config.consent, 'init', true);
    const storage = this.consent.value('storage');
    this.initDone = storage === 'granted' ? this.startStoring()
      : storage === 'pending' ? this.restore()
      : deleteFromPage(this.dbName); // denied: no Perch data may stay from an earlier visit
    return this.initDone;
  }

  ready(): Promise<void> {
    return this.initDone.then(() => this.starting?.then(() => undefined));
  }

  /** Hot path: validate, then push onto an array. Returns whether the event was accepted. */
  track(name: unknown, props: unknown): boolean {
    const r = validateEvent(name, props, Date.now());
    const storage = this.consent.value('storage');
    if (!r.ok) {
      this.reject(r.rejection, storage);
      return false;
    }
    if (r.dropped.length) debug(`track(${String(name)}): dropped`, r.dropped);
    if (storage === 'granted') {
      this.forgotten = false;
      this.outbox.pushEvent(r.event);
    } else if (storage === 'pending') this.held.pushEvent(r.event);
    return true;
  }

  async flush(): Promise<void> {
    const b = await this.currentBackend();
    if (!b) return;
    this.send();
    await Promise.allSettled([...this.inflight]);
    b.status = await b.api.flush();
  }

  async forget(): Promise<void> {
    this.outbox.clear();
    this.held.clear();
    this.channel?.post({ t: 'forget' });
    await this.eraseStorage();
  }

  async exportData(): Promise<ExportedData> {
    const b = await this.currentBackend();
    if (b) await this.flush();
    return buildExport(this.consent, this.held, b ? await b.api.dump() : null);
  }

  async audit(): Promise<AuditReport> {
    const b = await this.currentBackend();
    if (b) await this.flush();
    return buildAudit({
      consent: this.consent,
      held: this.held,
      stats: b ? await b.api.stats() : null,
      worker: b ? { ...b.worker } : null,
      retention: resolveRetention(this.config.retention),
      signals: this.signals,
    });
  }

  async destroy(): Promise<void> {
    await this.flush().catch(() => undefined);
    for (const c of this.cleanups.splice(0)) {
      try { c(); } catch { /* adapter already gone */ }
    }
    this.consent.clearListeners();
    this.channel?.close();
    this.outbox.clear();
    const b = this.backend;
    this.backend = null;
    if (b) {
      await b.api.close().catch(() => undefined);
      b.terminate();
    }
  }

  // --- internals -------------------------------------------------------------------------------

  private get dbName(): string {
    return typeof this.config.dbName === 'string' && this.config.dbName ? this.config.dbName : 'perch';
  }

  private reject(r: Rejection, storage: string): void {
    debug('track rejected:', r.code, r.reason);
    if (storage === 'granted') this.outbox.pushRejection(r);
    else this.held.pushRejection(r);
  }

  private storeOptions(): StoreOptions {
    const t = this.config.idbOpenTimeoutMs;
    const opts: StoreOptions = {
      dbName: this.dbName,
      retention: resolveRetention(this.config.retention),
      idbOpenTimeoutMs: typeof t === 'number' && t > 0 ? t : DEFAULT_OPEN_TIMEOUT_MS,
    };
    if (this.config.__test) opts.test = this.config.__test;
    return opts;
  }

  private ensureBackend(): Promise<Backend> {
    if (this.backend) return Promise.resolve(this.backend);
    if (!this.starting) {
      const opts = this.storeOptions();
      this.starting = startBackend(resolveWorkerUrl(this.config), opts, opts.idbOpenTimeoutMs + WORKER_START_GRACE_MS)
        .then((b) => this.onBackend(b));
    }
    return this.starting;
  }

  private async onBackend(b: Backend): Promise<Backend> {
    this.starting = null;
    debug('storage:', b.status.kind, b.status.reason ?? '', 'worker:', b.worker);
    this.backend = b;
    const storage = this.consent.value('storage');
    if (storage !== 'granted' && !(this.restoring && storage === 'pending')) {
      // Consent was withdrawn while the worker was starting.
      await this.eraseStorage();
      return b;
    }
    this.send();
    return b;
  }

  /**
   * Return visit with `storage` still pending: a Perch database exists only if storage was granted before
   * (withdrawal deletes it), so its last consent state is restored for the purposes still pending. Nothing
   * is opened when no database exists (`indexedDB.databases()` does not create one).
   */
  private async restore(): Promise<void> {
    const idb = typeof indexedDB !== 'undefined' ? indexedDB : undefined;
    if (!idb || typeof idb.databases !== 'function') return;
    const names = (await idb.databases().catch(() => [])).map((d) => d.name);
    if (!names.includes(this.dbName) || this.consent.value('storage') !== 'pending') return;
    this.restoring = true;
    try {
      const b = await this.ensureBackend();
      const stored = await b.api.lastConsent().catch(() => null);
      const now = this.consent.get();
      const update: Partial<ConsentState> = {};
      for (const p of ['storage', 'personalization', 'training'] as const) {
        if (stored && now[p] === 'pending' && stored[p] !== 'pending') update[p] = stored[p];
      }
      if (Object.keys(update).length) this.consent.set(update, 'storage-restore');
    } finally {
      this.restoring = false;
    }
    if (this.consent.value('storage') !== 'granted' && this.backend) {
      // Nothing to restore into: stop the worker again, leave the database as it was.
      const b = this.backend;
      this.backend = null;
      await b.api.close().catch(() => undefined);
      b.terminate();
    }
  }

  private async currentBackend(): Promise<Backend | null> {
    if (this.starting) await this.starting;
    return this.backend;
  }

  /** Hands the outbox (plus consent log entries the database lacks) to the storage side. */
  private send(): void {
    const b = this.backend;
    if (!b || this.consent.value('storage') !== 'granted') return;
    const batch = this.outbox.take() ?? { events: [], rejections: [], consent: [] };
    if (batch.events.length || batch.rejections.length) this.forgotten = false;
    if (!this.forgotten) {
      batch.consent = this.consent.log.slice(this.sentLog);
      this.sentLog = this.consent.log.length;
    }
    if (!batch.events.length && !batch.rejections.length && !batch.consent.length) return;
    const p = b.api.write(batch).then(
      (s) => { b.status = s; },
      (e: unknown) => debug('write failed', e),
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private onHide(): void {
    this.send();
    const b = this.backend;
    if (b) b.api.flush().then((s) => { b.status = s; }, () => undefined);
  }

  private onConsent(next: ConsentState, prev: ConsentState, source: ConsentSource): void {
    if (!this.fromTab) this.channel?.post({ t: 'consent', state: next, source });
    if (next.storage === 'granted') {
      if (prev.storage !== 'granted') {
        this.moveHeld();
        if (this.started) void this.startStoring();
      } else this.send();
    } else if (prev.storage === 'granted' && this.started) {
      void this.withdraw();
    } else if (next.storage === 'denied') {
      this.outbox.clear();
      this.held.clearEvents();
    }
  }

  /** Storage was granted: held events go first (stored order = call order), then the worker starts. */
  private startStoring(): Promise<void> {
    this.moveHeld();
    return this.ensureBackend().then(() => this.send(), (e: unknown) => debug('start failed', e));
  }

  private moveHeld(): void {
    for (const e of this.held.events) this.outbox.pushEvent(e);
    for (const r of this.held.rejections) this.outbox.pushRejection(r);
    this.held.clear();
  }

  /** `storage` is no longer granted: drop everything queued, erase the database, stop the worker. */
  private async withdraw(): Promise<void> {
    this.outbox.clear();
    this.held.clearEvents();
    await this.eraseStorage();
  }

  private async eraseStorage(): Promise<void> {
    const b = await this.currentBackend().catch(() => null);
    await Promise.allSettled([...this.inflight]);
    this.sentLog = 0;
    this.forgotten = true;
    if (b) {
      await b.api.forget().catch((e: unknown) => debug('forget failed', e));
      if (this.consent.value('storage') !== 'granted') {
        this.backend = null;
        await b.api.close().catch(() => undefined);
        b.terminate();
      }
    } else {
      await deleteFromPage(this.dbName);
    }
  }

  private onTabNotice(n: TabNotice): void {
    if (n.t === 'forget') {
      this.outbox.clear();
      this.held.clear();
      // Our worker must also treat the database as gone, or its next read would recreate it.
      void this.eraseStorage();
      return;
    }
    const upToDate = this.sentLog === this.consent.log.length;
    this.fromTab = true;
    try {
      this.consent.set(n.state, n.source);
    } finally {
      this.fromTab = false;
    }
    // The tab that made the change already persisted the entry in the shared database.
    if (upToDate) this.sentLog = this.consent.log.length;
  }
}
