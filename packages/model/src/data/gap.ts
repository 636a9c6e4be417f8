import { GAP_BUCKETS_S } from '../spec.js';

/** Bucket index used when the gap is unknown (first event, or no timestamps): the open-ended last bucket. */
export const UNKNOWN_GAP = GAP_BUCKETS_S.length - 1;

/**
 * Maps a time gap in seconds to its bucket (the first bucket whose upper bound is ≥ the gap).
 * Negative, NaN or missing gaps map to UNKNOWN_GAP: clocks go backwards in real logs.
 */
export function gapBucket(seconds: number | undefined): number {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return UNKNOWN_GAP;
  for (let b = 0; b < GAP_BUCKETS_S.length; b++) if (seconds <= GAP_BUCKETS_S[b]!) return b;
  return UNKNOWN_GAP;
}
