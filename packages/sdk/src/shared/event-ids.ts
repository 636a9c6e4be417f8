/**
 * Checking the argument of a per-event delete (`forget({ eventIds })`), on both sides of the worker
 * boundary: the page answers a bad call with a reason, and the worker does not take the page's word for it.
 */

/** At most this many ids per call: more than the default retention keeps, small enough to clone at once. */
export const MAX_FORGET_IDS = 10_000;

/** Event ids as `exportData()` shows them (`eventId`): positive safe integers. */
export function isEventId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}

/**
 * The ids to delete, deduplicated in the given order, or the reason the argument is refused. Never throws
 * (a Proxy or a throwing getter is refused, not propagated).
 */
export function readEventIds(ids: unknown): { ids: number[] } | { problem: string } {
  try {
    if (!Array.isArray(ids)) return { problem: 'eventIds must be an array of event ids (exportData().events[].eventId)' };
    if (ids.length === 0) return { problem: 'eventIds is empty: nothing to delete (call forget() without arguments to erase everything)' };
    if (ids.length > MAX_FORGET_IDS) return { problem: `eventIds has ${ids.length} ids; at most ${MAX_FORGET_IDS} per call` };
    const out = new Set<number>();
    for (let i = 0; i < ids.length; i++) {
      const id: unknown = ids[i];
      if (!isEventId(id)) return { problem: `eventIds[${i}] is not an event id (a positive integer from exportData())` };
      out.add(id);
    }
    return { ids: [...out] };
  } catch {
    return { problem: 'eventIds is unreadable (a getter or Proxy trap threw)' };
  }
}
