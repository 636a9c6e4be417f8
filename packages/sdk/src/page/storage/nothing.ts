/**
 * The last resort when no storage side can run: neither the worker nor the on-demand scripts
 * (`perch-link.js`, `perch-fallback.js`) load. Then nothing can be validated or kept, and `audit()` says how
 * many calls were lost and why. Never throws.
 */
import type { PerchWorkerApi, StoreStatus } from '../../shared/worker-api.js';

/** A `PerchWorkerApi` that keeps nothing and counts what it had to drop. */
export function nothingApi(reason: string): PerchWorkerApi {
  let lost = 0;
  const status = (): StoreStatus => ({ kind: 'none', reason: `${reason}; ${lost} tracked calls could not be kept` });
  const s = async () => status();
  const none = async () => null;
  return {
    open: s, flush: s, lastConsent: none, forget: none, close: none,
    write: async (b: { calls?: unknown[] }) => { lost += b.calls?.length ?? 0; return status(); },
    stats: async () => ({ ...status(), events: 0, bytes: 0, counts: {}, rejected: { total: 0, byCode: {}, recent: [] }, consentLog: [] }),
    dump: async () => ({ events: [], rejected: [], consentLog: [], consent: null }),
  } as unknown as PerchWorkerApi;
}
