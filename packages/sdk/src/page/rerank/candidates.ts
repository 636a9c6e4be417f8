/**
 * The page side of a rerank: minimise the shop's items into candidates (through the event boundary's own
 * item normaliser, so the same allow-list applies), and map the worker's reply back onto the shop's objects.
 */
import type { RerankResult, ShopItem } from '../../types.js';
import { Fail } from '../../shared/events/fields.js';
import { normaliseItem } from '../../shared/events/items.js';
import type { RerankCandidate, RerankReply } from '../../shared/rerank/api.js';

/** Minimised candidates; an item the boundary refuses keeps only a string id (or '' when it has none). */
export function toCandidates(items: readonly ShopItem[]): RerankCandidate[] {
  const out: RerankCandidate[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = normaliseItem(items[i], 'items', i, null, false);
    if (it instanceof Fail) {
      const raw = (items[i] as { item_id?: unknown } | null)?.item_id;
      out[i] = { id: typeof raw === 'string' || typeof raw === 'number' ? String(raw).slice(0, 128) : '' };
      continue;
    }
    const c: RerankCandidate = { id: it.id };
    if (it.category !== undefined) c.category = it.category;
    if (it.brand !== undefined) c.brand = it.brand;
    if (it.priceBucket !== undefined) c.priceBucket = it.priceBucket;
    out[i] = c;
  }
  return out;
}

/** The shop's order unchanged, with the reason (no model, no consent, over budget, …). */
export function shopOrder<T extends ShopItem>(items: readonly T[], reason: string): RerankResult<T> {
  return { items: items.map((item, i) => ({ item, score: 0, originalIndex: i })), personalized: false, reason };
}

/** Applies the worker's reply to the shop's own objects (which never left the page). */
export function applyReply<T extends ShopItem>(items: readonly T[], reply: RerankReply): RerankResult<T> {
  if (reply.order.length !== items.length) return shopOrder(items, 'reply does not match the list');
  const out: RerankResult<T> = {
    items: reply.order.map((i) => {
      const r: RerankResult<T>['items'][number] = { item: items[i] as T, score: reply.scores[i] ?? 0, originalIndex: i };
      const e = reply.explanations[i];
      if (e) r.explanation = e;
      const a = reply.attribution[i];
      if (a) r.attribution = a;
      return r;
    }),
    personalized: reply.personalized,
  };
  if (reply.reason) out.reason = reply.reason;
  return out;
}
