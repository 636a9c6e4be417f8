/**
 * Retention policy, pure. Events are kept up to a count and an age; the oldest go first. The stores
 * (IndexedDB and memory) ask these functions what to delete rather than each deciding on their own.
 */
import type { Retention } from './worker-api.js';

/** Defaults documented on `PerchConfig.retention`. */
export const DEFAULT_RETENTION: Retention = { maxEvents: 5_000, maxAgeDays: 90 };
/** Upper bounds so a typo cannot make the device keep years of history. */
export const MAX_RETENTION: Retention = { maxEvents: 100_000, maxAgeDays: 395 };
const DAY_MS = 86_400_000;

/** Fills defaults and clamps a shop-provided retention to sane bounds. */
export function resolveRetention(r: { maxEvents?: unknown; maxAgeDays?: unknown } | undefined): Retention {
  const pick = (v: unknown, def: number, max: number, min: number): number =>
    typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : def;
  return {
    maxEvents: pick(r?.maxEvents, DEFAULT_RETENTION.maxEvents, MAX_RETENTION.maxEvents, 1),
    maxAgeDays: pick(r?.maxAgeDays, DEFAULT_RETENTION.maxAgeDays, MAX_RETENTION.maxAgeDays, 1),
  };
}

/** Events with `ts` strictly below this are too old to keep. */
export function ageCutoff(now: number, r: Retention): number {
  return now - r.maxAgeDays * DAY_MS;
}

/** How many of the oldest events to delete so that `count` fits the policy. */
export function excessCount(count: number, r: Retention): number {
  return count > r.maxEvents ? count - r.maxEvents : 0;
}

/**
 * On `QuotaExceededError`: how many of the oldest events to drop before the one retry. A tenth of what is
 * stored (at least the size of the failed batch) frees room without throwing most of the history away.
 */
export function quotaPruneCount(stored: number, batch: number): number {
  return Math.min(stored, Math.max(batch, Math.ceil(stored / 10)));
}
