/**
 * The public surface, shared by the npm entry (`index.ts`) and the script-tag loader. Every function is
 * guarded: a failure is logged (with `debug: true`) and turns into a safe value, never a throw or a
 * rejected promise in the shop's page.
 */
import type {
  AuditReport, ConsentState, EventType, ExportedData, ForgetOptions, ForgetResult, IntentProfile, PerchConfig, RerankOptions,
  RerankResult, ShopItem, TrackProps,
} from '../types.js';
import { pendingConsent } from '../shared/consent.js';
import { resolveRetention } from '../shared/retention.js';
import { SDK_VERSION } from '../shared/version.js';
import { noPrivacySpent } from '../shared/federated/api.js';
import { type InternalConfig, PerchClient, emptyIntent, shopOrder } from './client.js';
import { ConsentManager } from './consent/manager.js';
import { guard, guardAsync } from './log.js';
import { buildExport } from './report.js';

export interface PerchConsentApi {
  /** Updates some purposes (e.g. from your CMP); returns the effective state (GPC/DNT may pin `training`). */
  set(update: Partial<ConsentState>): ConsentState;
  /** The current state of the three purposes. */
  get(): ConsentState;
  /** Calls `listener` after every effective change; returns an unsubscribe function. */
  onChange(listener: (state: ConsentState) => void): () => void;
}

export interface PerchApi {
  init(config?: PerchConfig): Promise<void>;
  track(event: EventType | string, props?: TrackProps): boolean;
  consent: PerchConsentApi;
  forget(options?: ForgetOptions): Promise<ForgetResult>;
  exportData(): Promise<ExportedData>;
  audit(): Promise<AuditReport>;
  flush(): Promise<void>;
  ready(): Promise<void>;
  destroy(): Promise<void>;
  rerank<T extends ShopItem>(list: readonly T[], options?: RerankOptions): Promise<RerankResult<T>>;
  intent(): Promise<IntentProfile>;
  readonly version: string;
}

function safeAudit(): AuditReport {
  return {
    version: SDK_VERSION, consent: pendingConsent(), consentLog: [],
    storage: { kind: 'none', reason: 'audit failed', bytes: 0, events: 0 }, held: 0, counts: {},
    rejected: { total: 0, byCode: {}, recent: [] }, droppedFields: { total: 0, byField: {}, recent: [] }, ignored: { total: 0, byKind: {} },
    retention: resolveRetention(undefined),
    worker: { running: false, reason: 'audit failed' }, model: { version: null }, outbound: [],
    privacy: noPrivacySpent(), gpc: false, dnt: false,
  };
}

/** Builds the API around one client; `destroy()` swaps in a fresh client so `init()` can run again. */
export function createApi(): PerchApi {
  let client = new PerchClient();
  const consent: PerchConsentApi = {
    set: (update) => guard('consent.set', pendingConsent(), () => client.consent.set(update, 'api')),
    get: () => guard('consent.get', pendingConsent(), () => client.consent.get()),
    onChange: (listener) => guard('consent.onChange', () => undefined, () => {
      if (typeof listener !== 'function') return () => undefined;
      return client.consent.onChange((state) => listener(state));
    }),
  };
  return {
    init: (config) => guardAsync('init', undefined, () => client.init((config ?? {}) as InternalConfig)),
    track: (event, props) => guard('track', false, () => client.track(event, props)),
    consent,
    forget: (options) => guardAsync('forget', { ok: false, reason: 'error' } as ForgetResult, () => client.forget(options)),
    // Nothing known when the client's own export failed: an empty export (pending consent, no events).
    exportData: () => guardAsync('exportData', buildExport(new ConsentManager(), null), () => client.exportData()),
    audit: () => guardAsync('audit', safeAudit(), () => client.audit()),
    flush: () => guardAsync('flush', undefined, () => client.flush()),
    ready: () => guardAsync('ready', undefined, () => client.ready()),
    destroy: () => guardAsync('destroy', undefined, async () => {
      const old = client;
      client = new PerchClient();
      await old.destroy();
    }),
    // Even if rerank itself failed, the shop gets its own list back (shopOrder never throws).
    rerank: (list, options) => guardAsync('rerank', null, () => client.rerank(list, options)).then((r) => r ?? shopOrder(list, 'error')),
    intent: () => guardAsync('intent', emptyIntent(), () => client.intent()),
    version: SDK_VERSION,
  };
}
