/**
 * Perch: in-browser, privacy-first personalization for shops. npm entry (ESM).
 *
 * ```ts
 * import * as perch from '@perch/sdk';
 * perch.init({ consent: { storage: 'granted' }, assetBase: '/perch/' });
 * perch.track('view_item', { items: [{ item_id: 'SKU-1', item_category: 'Shoes' }] });
 * ```
 * Every function is safe to call at any time: none throws, every promise resolves.
 * @packageDocumentation
 */
import { createApi } from './page/api.js';
import { setDefaultAssetBase } from './page/assets.js';
import { registerChunk } from './page/chunks.js';
import { watchConsentMode } from './page/consent/consent-mode.js';
import { watchTcf } from './page/consent/tcf.js';
import { bridgeDataLayer } from './page/track/datalayer.js';
import { MainMemoryApi } from './page/storage/memory-api.js';
import { rerankInWorker } from './page/rerank/rerank-link.js';
import { impressionFor } from './page/rerank/impression.js';
import { startWorker } from './page/storage/worker-link.js';
import { workerHooks } from './page/storage/worker-hooks.js';
import { forgetEvents } from './page/track/forget-events.js';

export type * from './types.js';
export type { PerchApi, PerchConsentApi } from './page/api.js';
export { snippet, SNIPPET_FUNCTION } from './snippet/snippet.js';
export { SDK_VERSION as version } from './shared/version.js';

// dist/esm/index.js → the worker sits one folder up, in dist/. A bundler may move this file, so shops
// that bundle Perch set `assetBase` (see README, "Hosting the worker").
const here: string = import.meta.url;
setDefaultAssetBase(new URL('../', here).href);

// The script-tag loader fetches these on demand (perch-link.js, perch-rerank.js, perch-fallback.js, perch-consent.js); a shop's bundler
// handles size for the npm build, so they are registered up front and nothing is fetched at run time.
registerChunk('link', { startWorker, workerHooks, forgetEvents });
registerChunk('rerank', { rerankInWorker, impressionFor });
registerChunk('fallback', { memoryApi: (reason) => new MainMemoryApi(reason) });
registerChunk('consent', { watchTcf, watchConsentMode, bridgeDataLayer });

const api = createApi();

/** Starts Perch. Consent defaults to pending: nothing is stored until `storage` is granted. */
export const init = api.init;
/**
 * Records a GA4 (or Segment v2) e-commerce event: a bounded copy is queued and validated in the worker
 * (refusals, with their reason, show in `audit().rejected`). Returns false only when `storage` is denied.
 */
export const track = api.track;
/** Consent for `storage`, `personalization` and `training`: `set`, `get`, `onChange`. */
export const consent = api.consent;
/**
 * Erases everything Perch keeps on this device (the database and anything queued). With
 * `{ eventIds }` (ids from `exportData().events[].eventId`) deletes only those events. Resolves to a
 * `ForgetResult`: `ok: false` with a reason for a refused argument, never a throw.
 */
export const forget = api.forget;
/** All stored data and the consent log as versioned JSON (`ExportedData`). */
export const exportData = api.exportData;
/** What Perch holds and does right now (`AuditReport`). */
export const audit = api.audit;
/** Resolves when every accepted event is durably stored. */
export const flush = api.flush;
/** Resolves when `init()` finished and storage (if granted) is open. */
export const ready = api.ready;
/** Flushes, stops the worker and removes listeners; `init()` may be called again afterwards. */
export const destroy = api.destroy;
/**
 * Reorders a product list for this shopper with the on-device model, within `timeoutMs` (default 200 ms);
 * otherwise the shop's order (`personalized: false`, with the reason). Never throws.
 */
export const rerank = api.rerank;
/** The shopper's current intent profile (empty without personalization consent, worker or model). */
export const intent = api.intent;
