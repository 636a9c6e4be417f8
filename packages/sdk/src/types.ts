/**
 * Public types of the Perch SDK. Everything a shop sees is declared here; the runtime lives in `page/` (main
 * thread), `worker/` (web worker: `serve/` and `learn/`) and `shared/` (pure code used by both sides); one file
 * per shipped bundle in `entries/`.
 */

/** The three consent purposes. `storage` gates any on-device write and the worker itself. */
export type ConsentPurpose = 'storage' | 'personalization' | 'training';
export type ConsentValue = 'granted' | 'denied' | 'pending';
export type ConsentState = Record<ConsentPurpose, ConsentValue>;

/** Where a consent change came from (kept in the consent log, shown by `audit()` and `exportData()`). */
export type ConsentSource = 'api' | 'init' | 'tcf' | 'consent-mode' | 'gpc' | 'dnt' | 'storage-restore';

export interface ConsentLogEntry {
  ts: number;
  source: ConsentSource;
  state: ConsentState;
}

/** GA4 recommended e-commerce events: Perch's canonical vocabulary. */
export type EventType =
  | 'view_item_list'
  | 'select_item'
  | 'view_item'
  | 'add_to_cart'
  | 'remove_from_cart'
  | 'view_cart'
  | 'add_to_wishlist'
  | 'begin_checkout'
  | 'purchase'
  | 'search'
  | 'view_search_results';

/** A product as the shop describes it (GA4 item shape). Extra fields are accepted and dropped. */
export interface ShopItem {
  item_id: string | number;
  item_name?: string;
  index?: number;
  item_list_id?: string;
  price?: number | string;
  quantity?: number | string;
  item_category?: string;
  item_brand?: string;
  [extra: string]: unknown;
}

/** Loose shape accepted by `track()`: GA4 params or Segment e-commerce v2 properties. */
export type TrackProps = Record<string, unknown>;

export interface PerchConfig {
  /** Base URL of Perch's static assets (worker bundle, wasm, model). Defaults to the loader's own folder. */
  assetBase?: string;
  /** Explicit worker URL (must be same-origin, or the SDK falls back to main-thread memory mode). */
  workerUrl?: string;
  /** Initial consent, e.g. from the shop's CMP; anything not given stays `pending`. */
  consent?: Partial<ConsentState>;
  /** Retention of the on-device sequence. Defaults: 5,000 events, 90 days. */
  retention?: { maxEvents?: number; maxAgeDays?: number };
  /** Read a GTM `dataLayer` (e-commerce events and Consent Mode pushes). Default false. */
  dataLayer?: boolean | unknown[];
  /** Listen to IAB TCF v2 (`__tcfapi`). Default true when `__tcfapi` exists. */
  tcf?: boolean;
  /** IndexedDB database name (tests use distinct names). Default "perch". */
  dbName?: string;
  /** Milliseconds to wait for IndexedDB to open before falling back to memory. Default 3,000. */
  idbOpenTimeoutMs?: number;
  /** `on-device`: nothing but static assets crosses the network. `federated`: uploads allowed with consent. */
  mode?: 'on-device' | 'federated';
  /** URL of the model manifest (reranking issue). */
  modelUrl?: string;
  /** URL of the aggregator (federated issue). */
  aggregatorUrl?: string;
  /** Federated learning tunables, used only with `mode: 'federated'` and `training` consent (docs/federated.md). */
  federated?: FederatedOptions;
  /**
   * Public keys (base64url of the raw 32-byte Ed25519 key) that must have signed every model version the device
   * loads. Set: an unsigned or otherwise signed version, or one that breaks the publisher's version log, is refused
   * and the previous model stays in use. Required for federated training. Two keys while rotating (docs/aggregator.md).
   */
  modelKeys?: string[];
  /** The version log's witness: a checkpoint a second party copies from the aggregator (docs/threat-model.md). */
  modelLog?: { witnessUrl?: string };
  /** Force a tfjs backend instead of probing (reranking issue). */
  backend?: 'webgpu' | 'webgl' | 'wasm' | 'cpu';
  /** Debug logging to the console. */
  debug?: boolean;
}

/**
 * Options of the federated client (defaults in brackets). The first seven are the privacy policy the page pins:
 * the aggregator cannot change them, and the device refuses any round that would weaken them (docs/privacy.md).
 * How a device trains locally is not among them: the aggregator announces the recipe with each round (its server
 * optimiser is tuned to it), and the device refuses a recipe it does not know or that trains other tensors.
 */
export interface FederatedOptions {
  /**
   * Total privacy budget ε against the aggregator, at `delta` [8]. Past it the device stops contributing for good.
   * A later configuration can lower it, never raise it; `forget()` does not reset it.
   */
  epsilonBudget?: number;
  /** Largest ε one upload may cost against the aggregator [3]. */
  epsilonPerRound?: number;
  /** δ at which every ε is stated [1e-10]. */
  delta?: number;
  /** Smallest noise multiplier z the device adds itself (noise std z·C) [5]. */
  minNoiseMultiplier?: number;
  /** L2 clip bound C of an update [1]; a round announcing another is refused. */
  clipBound?: number;
  /** Smallest number of updates a round may publish from [10]. */
  minCohort?: number;
  /** Shared dense tensors a round must train, exactly [the default recipe's: all but `event_emb`, `gap_emb`]. */
  trainable?: string[];
  /** Minimum time between two looks at the aggregator's round, ms [300,000]. */
  minIntervalMs?: number;
  /** Time without user input before the page counts as idle, ms [5,000]. */
  idleAfterMs?: number;
  /** Longest random wait between local training and the upload, ms [30,000] (hides when the page went idle). */
  maxUploadDelayMs?: number;
  /**
   * Secure-aggregation rounds (SecAgg+ with the distributed discrete Gaussian, docs/secure-aggregation.md) [none: such
   * rounds are refused]. `true` or an object opts in; each field left out takes its default (`DEFAULT_SECAGG_POLICY`
   * of `@perch/learn/privacy`). Part of the pinned policy: the device refuses a round announcing weaker numbers.
   */
  secagg?: boolean | SecAggOptions;
}

/** The device's limits for secure-aggregation rounds (defaults in brackets). */
export interface SecAggOptions {
  /** Smallest cohort the device accepts to be summed with [100]. */
  minCohort?: number;
  /** Fraction of the cohort assumed to drop out before its noise is in the sum [0.3]. */
  dropoutFraction?: number;
  /** Fraction of the cohort assumed to collude with the aggregator [0.05]. */
  colludingFraction?: number;
  /** Bits per value of the modular sum: the one modulus accepted [15]. */
  bits?: number;
  /** Masking privacy fails with probability ≤ 2^-securityBits [40]; correctness ≤ 2^-correctnessBits [30]. */
  securityBits?: number;
  correctnessBits?: number;
  /** Pinned smallest neighbour degree k and Shamir threshold t (both or neither) instead of the computed ones. */
  minDegree?: number;
  minThreshold?: number;
  /** ε one secure-aggregation upload costs against the aggregator, over the assumed honest cohort [3]. */
  epsilonPerRound?: number;
  /** Largest accepted inflation of the sensitivity by the rounding [1]. */
  maxRoundingInflation?: number;
  /** Largest accepted probability that the sum wraps around the modulus [0.001]. */
  maxWrapProbability?: number;
}

/**
 * What the device has spent of its privacy budget. The unit is the device installation (a browser profile); ε is
 * stated at `delta` for replace-one adjacency (what an upload says about the device's behaviour; that it took
 * part is visible to the aggregator).
 */
export interface AuditPrivacy {
  /**
   * ε against the aggregator itself, for the noise this device added: no credit for sampling or central noise.
   * What the budget counts. (It replaces `epsilonSpent`, which counted amplification by sampling.)
   */
  epsilonServer: number;
  /**
   * ε against anyone who sees only the published models, counting the central noise the aggregator announced: it
   * holds only if the aggregator adds that noise. Equal to `epsilonServer` when none was announced.
   */
  epsilonPublished: number;
  epsilonBudget: number;
  delta: number;
  /** Uploads recorded (each before its bytes left the device). */
  uploads: number;
  /**
   * Of the uploads, those made in secure-aggregation rounds (present once there is one). Their ε in `epsilonServer`
   * is that of the noisy sum over the honest cohort the page's policy assumes.
   */
  secaggUploads?: number;
  /** ε counting only this device's own noise (as if every other device in the sums were the aggregator's); with `secaggUploads`. */
  epsilonAlone?: number;
}

/** A round the device refused to take part in, and why (its pinned policy would have been weakened). */
export interface RoundRefusal {
  ts: number;
  round: number;
  code: string;
  reason: string;
}

/** Why a `track()` call was refused. */
export type RejectCode =
  | 'unknown_event'
  | 'invalid_props'
  | 'missing_item_id'
  | 'invalid_item'
  | 'too_many_items'
  | 'invalid_type'
  | 'too_large'
  /** E-commerce that is not shopping behaviour: refunds, promotions, checkout progress, coupons. */
  | 'not_behaviour';

export interface Rejection {
  code: RejectCode;
  reason: string;
  /** The event name as given (truncated), when it was a string. */
  event?: string;
  ts: number;
}

/**
 * A field of a stored event that was unusable and dropped (or cut to its limit) while the event was kept: a
 * negative index, a 500-character brand, a price that is not a number, an item with no usable id in a list of
 * good ones. `field` is generic (`items[].item_brand`); `reason` names the exact place; `event` is the stored type.
 */
export interface DroppedField {
  field: string;
  code: RejectCode;
  reason: string;
  event: EventType;
  ts: number;
  /** Cut to the allowed length rather than dropped. */
  truncated?: true;
}

/** Every dropped field counted on this device by generic field name, and the newest with their reasons. */
export interface DroppedFieldSummary { total: number; byField: Record<string, number>; recent: DroppedField[] }

/**
 * Why a dataLayer or gtag push was not e-commerce and was counted rather than stored: GTM's own events
 * (`gtm`), consent (`consent`), gtag commands (`gtag_command`), `{ ecommerce: null }` clears
 * (`ecommerce_clear`), events that are not e-commerce (`not_ecommerce`), anything else without an event (`metadata`).
 */
export type IgnoredKind = 'gtm' | 'consent' | 'gtag_command' | 'ecommerce_clear' | 'not_ecommerce' | 'metadata';

/** dataLayer and gtag pushes counted as not e-commerce, by kind. */
export interface IgnoredSummary { total: number; byKind: Partial<Record<IgnoredKind, number>> }

export type StorageKind = 'indexeddb' | 'memory-worker' | 'memory-main' | 'none';

export interface OutboundLogEntry {
  ts: number;
  url: string;
  method: string;
  bytes: number;
  /** The exact body as sent (base64 for binary). */
  body: string;
  /** The answer's HTTP status, once its headers arrived. */
  status?: number;
  /** Why the exchange failed, if it did (network error, no complete answer within the deadline). */
  error?: string;
  /** Why the device refused what came back under its privacy policy (a round it would not take part in). */
  refused?: string;
}

/** The device's last local training: the round's announced recipe, as the device bounded and ran it. */
export interface LocalTrainingReport {
  round: number;
  recipe: { epochs: number; learningRate: number; negatives: number; virtualBatch: number; dropout: number; frozen: readonly string[] };
  /** Whether the model's item counts were usable (negatives and the virtual batch are drawn from them). */
  itemCounts: boolean;
  /** Predicted positions of the device's own sequence. */
  positions: number;
}

/**
 * The signature of the model version in use: `verified` by the pinned key `keyId`; `unchecked` (signed by `keyId`,
 * but no `modelKeys` pinned); `unsigned`.
 */
export type ModelSignatureStatus = { status: 'verified'; keyId: string } | { status: 'unchecked'; keyId: string } | { status: 'unsigned' };

/**
 * The version's place in the publisher's append-only log (`index`, hex `head`). `checked`: against this device's last
 * accepted checkpoint (with `modelKeys`); `witness`: the witness checkpoint it was seen in (with `modelLog.witnessUrl`).
 */
export interface ModelLogStatus { index: number; head: string; checked: boolean; witness?: { index: number; head: string } }

export interface AuditReport {
  version: string;
  consent: ConsentState;
  consentLog: ConsentLogEntry[];
  storage: { kind: StorageKind; reason?: string; bytes: number; events: number };
  /** `track()` calls kept in memory before storage consent, not validated yet (validated in the worker once
   *  storage is granted, discarded if it is denied). */
  held: number;
  /** On-demand SDK scripts (worker link, rerank, fallback, consent adapters) that failed to load. */
  chunkErrors?: string[];
  counts: Partial<Record<EventType, number>>;
  rejected: { total: number; byCode: Partial<Record<RejectCode, number>>; recent: Rejection[] };
  /** Fields of stored events that were unusable and dropped or cut (the events were kept). */
  droppedFields: DroppedFieldSummary;
  /** dataLayer / gtag pushes that were not e-commerce, counted by kind (nothing is dropped uncounted). */
  ignored: IgnoredSummary;
  retention: { maxEvents: number; maxAgeDays: number };
  worker: { running: boolean; reason?: string };
  /**
   * The model in use; `error` is the last problem met loading one (the model in use, if any, stays), such as a
   * version refused for its signature or its place in the log; `signature` and `log` say how the one in use checked.
   */
  model: { version: string | null; sha256?: string; backend?: string; backendReason?: string; error?: string; signature?: ModelSignatureStatus; log?: ModelLogStatus };
  outbound: OutboundLogEntry[];
  /**
   * The federated client, when `mode: 'federated'`: what it is doing or why it waits, uploads accepted, and how
   * this tab last trained (never sent anywhere).
   */
  federated?: { state: string; uploads: number; lastTraining?: LocalTrainingReport; refusals: RoundRefusal[] };
  privacy: AuditPrivacy;
  gpc: boolean;
  dnt: boolean;
}

export interface ExportedData {
  format: 'perch-export';
  version: 1;
  exportedAt: number;
  consent: ConsentState;
  consentLog: ConsentLogEntry[];
  /** The stored events, oldest first, each with its `eventId` (what `forget({ eventIds })` deletes by). */
  events: unknown[];
  rejected: Rejection[];
}

/** Argument of `forget()` for deleting single events; without it, `forget()` erases everything. */
export interface ForgetOptions {
  /** Events to delete: their `eventId` as `exportData().events` shows it (positive integers, stable). */
  eventIds: number[];
}

/** What `forget()` did. */
export interface ForgetResult {
  /** False when nothing was deleted because the call was refused or failed (see `reason`). */
  ok: boolean;
  /** With `eventIds`: how many events were deleted. */
  deleted?: number;
  /** With `eventIds`: ids that were not stored (already deleted, trimmed by retention, never existed). */
  missing?: number[];
  reason?: string;
}

export interface RerankOptions {
  /** 0 = shop order, 1 = model only. */
  blend?: number;
  /** Indices (in the input list) that never move. */
  pinned?: number[];
  /** Maximal marginal relevance over category, 0..1. */
  diversity?: number;
  /** Past this budget the shop's order comes back unchanged. */
  timeoutMs?: number;
  /** Identifies the list for the impression event the SDK reports. Default: the page path. */
  listId?: string;
  /**
   * Record the impression of the returned list as a `view_item_list` event (shown and original position
   * of each item, stored with `storage` consent like any event). Default true; set false when the shop
   * tracks its own `view_item_list` for this list.
   */
  reportImpression?: boolean;
}

export interface RerankedItem<T extends ShopItem = ShopItem> {
  item: T;
  score: number;
  originalIndex: number;
  explanation?: string;
  attribution?: string;
}

export interface RerankResult<T extends ShopItem = ShopItem> {
  items: RerankedItem<T>[];
  /** True when the model was used; false when the shop's order came back (with the reason). */
  personalized: boolean;
  reason?: string;
}

export interface IntentProfile {
  purchaseIntent: number | null;
  categories: { id: string; weight: number }[];
  brands: { id: string; weight: number }[];
  recent: string[];
}
