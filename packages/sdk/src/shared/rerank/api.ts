/**
 * The reranking half of the worker contract: what the page sends to rerank a list, load the model, and read
 * the intent profile, and what comes back. Plain structured-cloneable data only. The page minimises the
 * shop's items first (`toCandidates`), so product names, URLs and prices never cross to the worker.
 */
import type { ConsentValue, IntentProfile, ModelLogStatus, ModelSignatureStatus } from '../../types.js';
import type { ModelTrust } from '../model-trust.js';

/** Backends the worker can run the model on (same names as `PerchConfig.backend`). */
export type ModelBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** One item of the shop's list, minimised: what the model and the explanations need, nothing more. */
export interface RerankCandidate {
  id: string;
  category?: string;
  brand?: string;
  priceBucket?: number;
}

/** Options the worker applies (the time budget is the page's: it stops waiting, the worker cannot be interrupted). */
export interface RerankWorkerOptions {
  /** 0 = shop order, 1 = model only; default `DEFAULT_BLEND`. */
  blend?: number;
  /** Input indices that never move. */
  pinned?: number[];
  /** MMR weight over category, 0..1 (0 = off). */
  diversity?: number;
  listId?: string;
}

export interface RerankRequest {
  items: RerankCandidate[];
  options?: RerankWorkerOptions;
  /** The page's personalization consent; the worker refuses to personalise unless it is 'granted'. */
  personalization: ConsentValue;
}

/** The worker's answer, by input index, so the page can map it back onto the shop's own objects. */
export interface RerankReply {
  personalized: boolean;
  /** Why the shop's order came back unchanged (no model, no consent, …). */
  reason?: string;
  /** Input indices in output order (identity when not personalised). */
  order: number[];
  /** Final blended score per input index (higher = earlier), in 0..1. */
  scores: number[];
  /** Explanation per input index (null when nothing in the shopper's history supports one). */
  explanations: (string | null)[];
  /** Attribution token per input index, for later select_item / add_to_cart / purchase events. */
  attribution: string[];
  modelVersion: string | null;
  backend: string | null;
  /** Time spent inside the worker. */
  workerMs: number;
}

/** Test-only fault injection for the model side (never in shop docs). */
export interface ModelTestFlags {
  /** Make every model call on the first backend throw after this many calls (a lost WebGPU device). */
  failBackendAfter?: number;
  /** Score lists with the tfjs model on the backend instead of the plain kernels (the bench's comparison). */
  scoreOnBackend?: boolean;
}

export interface ModelLoadOptions {
  /** URL of `manifest.json` (the files it lists resolve against it). */
  url: string;
  /** Try this backend first (then the usual order if it fails its probe). */
  backend?: ModelBackend;
  /** Folder URL (ending in '/') of tfjs-backend-wasm's .wasm files. */
  wasmPaths?: string;
  /** Pinned keys, log and witness: every manifest must pass them (absent: nothing is checked but the SHA-256s). */
  trust?: ModelTrust;
  test?: ModelTestFlags;
}

export type ModelState = 'none' | 'loading' | 'ready' | 'failed';

/** What the model side holds and why: shown by `audit().model`. */
export interface ModelStatus {
  state: ModelState;
  version: string | null;
  /** SHA-256 of the manifest in use. */
  sha256?: string;
  backend?: ModelBackend;
  backendReason?: string;
  /** Where the model in use came from. */
  source?: 'network' | 'cache';
  /** Last problem (rejected download, refused version, failed backend), kept even while an older model stays in use. */
  error?: string;
  /** Signature of the manifest in use (verified by a pinned key, unchecked, unsigned). */
  signature?: ModelSignatureStatus;
  /** Its place in the version log, and whether the device's checkpoint and the witness agreed. */
  log?: ModelLogStatus;
  loadMs?: number;
  /** Part of `loadMs` spent warming the model up (one step and one score on a dummy state). */
  warmMs?: number;
  /** Events folded into the live intent state by `step` since the model loaded. */
  intentEvents?: number;
  /** Median and p95 (ms) of the newest model steps (one per stored event). */
  stepMs?: { median: number; p95: number; n: number };
}

/** Methods the worker adds to `PerchWorkerApi`; absent in the main-thread memory fallback (no model there). */
export interface PerchModelApi {
  /** Fetches (or revalidates) the model, verifies it, caches it, picks a backend. Never rejects. */
  loadModel(options: ModelLoadOptions): Promise<ModelStatus>;
  modelStatus(): Promise<ModelStatus>;
  /** Reranks a list; never rejects (the shop's order comes back with a reason). */
  rerank(request: RerankRequest): Promise<RerankReply>;
  /** The on-device intent profile (empty without a model or history). */
  intent(): Promise<IntentProfile>;
}
