/** Rejection bookkeeping shared by both stores: counters for everything, plus the most recent few. */
import type { Rejection } from '../types.js';
import type { RejectionSummary } from './worker-api.js';

/** Recent rejections kept with their reasons (the counters cover all of them). */
export const MAX_RECENT_REJECTIONS = 100;

export function emptySummary(): RejectionSummary {
  return { total: 0, byCode: {}, recent: [] };
}

/** Adds rejections to a summary in place, keeping only the newest `MAX_RECENT_REJECTIONS`. */
export function addRejections(s: RejectionSummary, list: readonly Rejection[]): RejectionSummary {
  for (const r of list) {
    s.total++;
    s.byCode[r.code] = (s.byCode[r.code] ?? 0) + 1;
  }
  if (list.length) {
    s.recent.push(...list.slice(-MAX_RECENT_REJECTIONS));
    if (s.recent.length > MAX_RECENT_REJECTIONS) s.recent.splice(0, s.recent.length - MAX_RECENT_REJECTIONS);
  }
  return s;
}

/** Sums two summaries (stored + not yet sent), recent ones in order. */
export function mergeSummaries(a: RejectionSummary, b: RejectionSummary): RejectionSummary {
  const out = addRejections({ total: a.total, byCode: { ...a.byCode }, recent: a.recent.slice() }, []);
  out.total += b.total;
  for (const [k, v] of Object.entries(b.byCode)) {
    const code = k as keyof RejectionSummary['byCode'];
    out.byCode[code] = (out.byCode[code] ?? 0) + (v ?? 0);
  }
  out.recent.push(...b.recent);
  if (out.recent.length > MAX_RECENT_REJECTIONS) out.recent.splice(0, out.recent.length - MAX_RECENT_REJECTIONS);
  return out;
}
