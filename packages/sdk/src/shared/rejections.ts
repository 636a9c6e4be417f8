/**
 * Intake bookkeeping shared by both stores: rejections, dropped fields and ignored pushes, each counted in
 * full, with the most recent few rejections and dropped fields kept with their reasons.
 */
import type { DroppedField, DroppedFieldSummary, IgnoredKind, IgnoredSummary, Rejection } from '../types.js';
import type { RejectionSummary } from './worker-api.js';

/** Recent rejections kept with their reasons (the counters cover all of them). */
export const MAX_RECENT_REJECTIONS = 100;

export function emptySummary(): RejectionSummary {
  return { total: 0, byCode: {}, recent: [] };
}

/** Appends `list` to `recent` in place, keeping only the newest `max` entries. */
function keepNewest<T>(recent: T[], list: readonly T[], max: number): void {
  if (list.length === 0) return;
  recent.push(...list.slice(-max));
  if (recent.length > max) recent.splice(0, recent.length - max);
}

/** Adds rejections to a summary in place, keeping only the newest `MAX_RECENT_REJECTIONS`. */
export function addRejections(s: RejectionSummary, list: readonly Rejection[]): RejectionSummary {
  for (const r of list) {
    s.total++;
    s.byCode[r.code] = (s.byCode[r.code] ?? 0) + 1;
  }
  keepNewest(s.recent, list, MAX_RECENT_REJECTIONS);
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
  keepNewest(out.recent, b.recent, MAX_RECENT_REJECTIONS);
  return out;
}

/** Dropped fields kept with their reasons (the counters cover all of them). */
export const MAX_RECENT_DROPPED = 50;

export const emptyDropped = (): DroppedFieldSummary => ({ total: 0, byField: {}, recent: [] });
export const emptyIgnored = (): IgnoredSummary => ({ total: 0, byKind: {} });

/** Adds dropped fields to a summary in place, keeping only the newest `MAX_RECENT_DROPPED`. */
export function addDropped(s: DroppedFieldSummary, list: readonly DroppedField[] | undefined): DroppedFieldSummary {
  if (!list || list.length === 0) return s;
  for (const d of list) {
    s.total++;
    s.byField[d.field] = (s.byField[d.field] ?? 0) + 1;
  }
  keepNewest(s.recent, list, MAX_RECENT_DROPPED);
  return s;
}

/** Adds counts by kind into `into` in place; returns how many were added. */
export function addCounts(into: Partial<Record<IgnoredKind, number>>, counts: Partial<Record<IgnoredKind, number>> | undefined): number {
  let added = 0;
  for (const [k, n] of Object.entries(counts ?? {}) as Array<[IgnoredKind, number]>) {
    into[k] = (into[k] ?? 0) + n;
    added += n;
  }
  return added;
}

/** Adds ignored-push counts to a summary in place. */
export function addIgnored(s: IgnoredSummary, counts: Partial<Record<IgnoredKind, number>> | undefined): IgnoredSummary {
  s.total += addCounts(s.byKind, counts);
  return s;
}

/** Deep copies (a store hands out summaries the caller may keep). */
export const copyDropped = (s: DroppedFieldSummary): DroppedFieldSummary => ({ total: s.total, byField: { ...s.byField }, recent: s.recent.slice() });
export const copyIgnored = (s: IgnoredSummary): IgnoredSummary => ({ total: s.total, byKind: { ...s.byKind } });
