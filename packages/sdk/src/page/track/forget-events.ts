/**
 * The page side of `forget({ eventIds })`, in `perch-link.js` (loaded on the first per-event delete if no
 * worker needed it before): the ids are checked here, so a bad call is answered with a reason without a
 * round trip, and again by the store (it does not take the page's word for it).
 */
import type { ForgetResult } from '../../types.js';
import { readEventIds } from '../../shared/event-ids.js';
import type { PerchWorkerApi } from '../../shared/worker-api.js';

export async function forgetEvents(api: PerchWorkerApi, eventIds: unknown): Promise<ForgetResult> {
  const read = readEventIds(eventIds);
  if ('problem' in read) return { ok: false, deleted: 0, reason: read.problem };
  try {
    const r = await api.forgetEvents(read.ids);
    return { ok: true, deleted: r.deleted.length, ...(r.missing.length ? { missing: r.missing } : {}) };
  } catch (e) {
    return { ok: false, deleted: 0, reason: `delete failed: ${(e as Error)?.name ?? 'error'}` };
  }
}
