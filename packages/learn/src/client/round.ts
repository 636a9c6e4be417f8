/**
 * What a client needs from `GET /v1/round`, as a plain type shared by the SDK worker and the simulator
 * (the aggregator's TypeBox schema `RoundInfo` serialises exactly these fields), and the retry policy for
 * uploads: retry only on network errors, 408, 429 and 5xx, honouring Retry-After, with full-jitter
 * exponential backoff, and never past the round's deadline (a delta expires with its round).
 */
import { requireLayout, type Layout, type TensorSpec } from '../update/layout.js';
import type { Rng } from '../privacy/rng.js';
import type { LocalRecipe } from './recipe.js';

export interface RoundDescription {
  roundId: number;
  status: 'open' | 'closing';
  baseVersion: number;
  /** ISO date-time, server clock. */
  deadline: string;
  accepted: number;
  minClients: number;
  targetClients: number;
  clipBound: number;
  /** z: each client adds N(0, (zC)²) per coordinate before upload. */
  noiseMultiplier: number;
  /**
   * z_c: the aggregator adds noise to the released sum when it closes the round (DP-FedAvg, McMahan et al. 2018).
   * A device never counts it against the aggregator (it cannot check that it is added); only its published-model
   * figure does (privacy/device-accountant.ts).
   */
  centralNoiseMultiplier: number;
  samplingProbability: number;
  maxClientWeight: number;
  uploadNormBound: number;
  maxBytes: number;
  layout: { hash: string; size: number; tensors: TensorSpec[] };
  /** How devices train locally in this round (devices refuse unknown or out-of-bound recipes, privacy/policy.ts). */
  local: LocalRecipe;
  uploadUrl: string;
  /**
   * Present when the round runs secure aggregation (SecAgg+ over the distributed discrete Gaussian): devices do
   * not POST to `uploadUrl` but through the four steps under `secagg.urls`, and must check every number here
   * against their own policy before taking part (docs/secure-aggregation.md).
   */
  secagg?: SecAggRoundDescription;
}

/** The public constants of a secure-aggregation round (`@perch/learn/secagg` and `@perch/learn/ddg`). */
export interface SecAggRoundDescription {
  protocol: 'secagg+';
  /** Masks and sums live in Z_(2^bits); the masked vector travels packed at `bits` bits per value. */
  bits: number;
  /** Length of the masked vector: the ddg rotation's padded length of `ddg.dim`. */
  d: number;
  /** Largest neighbour degree and Shamir threshold (the share-keys request carries the exact k ≤ this, t). */
  k: number;
  t: number;
  /** Smallest cohort the aggregator proceeds with at every step (participants, shared keys, survivors). */
  minCohort: number;
  /** Largest number of devices admitted at advertise. */
  maxCohort: number;
  /** Round-public seed of the neighbour graph (base64url, 32 bytes). */
  graphSeed: string;
  /** Each stage's deadline (ISO date-time, server clock); a stage may close earlier (docs/secure-aggregation.md). */
  deadlines: { advertise: string; shareKeys: string; maskedInput: string; unmask: string };
  /** How long the aggregator holds a step's POST open waiting for the stage to close. */
  longPollMs: number;
  /** The distributed discrete Gaussian every device encodes its update with (`encodeDdg`). */
  ddg: {
    /** The tensors the masked vector carries, in layout order: those the round's recipe trains (the rest are zero). */
    tensors: string[];
    /** Their total size: the length of the vector each device encodes. */
    dim: number; clip: number; gamma: number; sigma: number; beta: number; rotationSeed: number };
  /** The four step endpoints, in order. */
  urls: { advertise: string; shareKeys: string; maskedInput: string; unmask: string };
}

/**
 * The layout announced by a round, checked against the client's own model: the names and shapes must give
 * the announced hash and size, and equal `expected` (from `weightShapes(dims)` + `SHARED_DENSE_WEIGHTS`).
 */
export function roundLayout(round: RoundDescription, expected: Layout): Layout {
  const l = requireLayout(round.layout, 'round layout');
  if (l.hash !== expected.hash) throw new Error(`round layout ${l.hash} differs from the local model's ${expected.hash}`);
  return l;
}

/** Whether an upload attempt that ended with `status` (undefined = network error) may be retried. */
export function isRetryable(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Seconds a Retry-After header asks for: delta-seconds ("120") or an HTTP date (seconds from `now`, at least 0);
 * undefined when the header is absent, blank or unreadable (Number('') is 0: a blank header is not "retry now").
 */
export function retryAfterSeconds(header: string | null | undefined, now = Date.now()): number | undefined {
  const h = header?.trim();
  if (!h) return undefined;
  const v = Number(h);
  if (Number.isFinite(v)) return v >= 0 ? v : undefined;
  const t = Date.parse(h);
  return Number.isFinite(t) ? Math.max(0, (t - now) / 1000) : undefined;
}

/**
 * Delay before retry number `attempt` (0-based): Retry-After when the server gave one (seconds), else full
 * jitter in [0, min(cap, base·2^attempt)). Returns undefined when the retry would land after the deadline.
 */
export function retryDelayMs(attempt: number, o: { retryAfterSeconds?: number; now: number; deadline: number; rng: Rng; baseMs?: number; capMs?: number }): number | undefined {
  const base = o.baseMs ?? 1000, cap = o.capMs ?? 60_000;
  const delay = o.retryAfterSeconds !== undefined && o.retryAfterSeconds >= 0
    ? o.retryAfterSeconds * 1000
    : Math.floor(o.rng.next() * Math.min(cap, base * 2 ** attempt));
  return o.now + delay < o.deadline ? delay : undefined;
}
