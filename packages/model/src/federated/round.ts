/**
 * What a client needs from `GET /v1/round`, as a plain type shared by the SDK worker and the simulator
 * (the aggregator's TypeBox schema `RoundInfo` serialises exactly these fields), and the retry policy for
 * uploads: retry only on network errors, 408, 429 and 5xx, honouring Retry-After, with full-jitter
 * exponential backoff, and never past the round's deadline (a delta expires with its round).
 */
import { makeLayout, type Layout, type TensorSpec } from '../privacy/flatten.js';
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
   * z_c: the aggregator adds noise of std z_c·C·(max weight) to the weighted sum when it closes the round
   * (DP-FedAvg, McMahan et al. 2018). Devices count it in their ε only under the trust assumption that the
   * aggregator really adds it (docs/threat-model.md); it does not protect an update from the aggregator itself.
   */
  centralNoiseMultiplier: number;
  samplingProbability: number;
  maxClientWeight: number;
  uploadNormBound: number;
  maxBytes: number;
  layout: { hash: string; size: number; tensors: TensorSpec[] };
  /** How devices train locally in this round (clients bound every field, `readRecipe`). */
  local: LocalRecipe;
  uploadUrl: string;
}

/**
 * The layout announced by a round, checked against the client's own model: the names and shapes must give
 * the announced hash and size, and equal `expected` (from `weightShapes(dims)` + `SHARED_DENSE_WEIGHTS`).
 */
export function roundLayout(round: RoundDescription, expected: Layout): Layout {
  const l = makeLayout(Object.fromEntries(round.layout.tensors.map((t) => [t.name, t.shape])), round.layout.tensors.map((t) => t.name));
  if (l.hash !== round.layout.hash || l.size !== round.layout.size) throw new Error('round layout is inconsistent with its own hash/size');
  if (l.hash !== expected.hash) throw new Error(`round layout ${l.hash} differs from the local model's ${expected.hash}`);
  return l;
}

/**
 * The noise multiplier a device records in its accountant for `round`: √(z² + z_c²). The released sum holds the
 * device's clipped delta (sensitivity C) plus its own N(0, z²C²) noise, the other n − 1 clients' noise and the
 * aggregator's N(0, z_c²C²): its noise std is C·√(n·z² + z_c²) ≥ C·√(z² + z_c²) for n ≥ 1, so this is a
 * lower bound on the real multiplier and the ε it gives is an upper bound, against anyone who sees the published
 * models, as long as the aggregator adds the z_c it announces. A server that omits it (or a round description
 * without the field, from an older aggregator) leaves only the client's own z, which is what the device then
 * relies on. Non-finite or negative values count as 0.
 */
export function accountedNoise(round: Pick<RoundDescription, 'noiseMultiplier'> & { centralNoiseMultiplier?: number }): number {
  const ok = (v: number | undefined): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
  return Math.hypot(ok(round.noiseMultiplier), ok(round.centralNoiseMultiplier));
}

/** Whether an upload attempt that ended with `status` (undefined = network error) may be retried. */
export function isRetryable(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 429 || (status >= 500 && status <= 599);
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
