/**
 * The page side of `rerank()` once a worker runs: minimise the shop's items (`toCandidates`, the event
 * boundary's item allow-list, so names, URLs and prices never reach the worker), ask the worker, and map
 * its reply back onto the shop's own objects. Ships in `perch-rerank.js`, fetched once a worker runs and
 * `personalization` is granted (before, `rerank()` returns the shop's order without it), so pages of a
 * shopper who never grants personalization never download it.
 */
import type { ConsentValue, RerankOptions, RerankResult, ShopItem } from '../../types.js';
import { applyReply, shopOrder, toCandidates } from './candidates.js';
import type { RerankWorkerOptions } from '../../shared/rerank/api.js';
import type { PerchWorkerApi } from '../../shared/worker-api.js';

/** Copies the worker's options from the shop's object (a throwing getter just drops that option). */
function workerOptions(o: RerankOptions | undefined): RerankWorkerOptions {
  const out: RerankWorkerOptions = {};
  if (!o || typeof o !== 'object') return out;
  try {
    if (typeof o.blend === 'number' && Number.isFinite(o.blend)) out.blend = Math.min(1, Math.max(0, o.blend));
    if (typeof o.diversity === 'number' && Number.isFinite(o.diversity)) out.diversity = Math.min(1, Math.max(0, o.diversity));
    if (Array.isArray(o.pinned)) out.pinned = o.pinned.filter((i) => Number.isInteger(i)).slice(0, 1_000);
    if (typeof o.listId === 'string') out.listId = o.listId.slice(0, 64);
  } catch { /* hostile options: the defaults apply */ }
  return out;
}

/** Reranks `list` in the worker; never rejects (the shop's order comes back with a reason). */
export async function rerankInWorker<T extends ShopItem>(
  api: PerchWorkerApi,
  list: readonly T[],
  options: RerankOptions | undefined,
  personalization: ConsentValue,
): Promise<RerankResult<T>> {
  if (!api.rerank) return shopOrder(list, 'no model in the main-thread fallback');
  try {
    const reply = await api.rerank({ items: toCandidates(list), options: workerOptions(options), personalization });
    return applyReply(list, reply);
  } catch {
    return shopOrder(list, 'error');
  }
}
