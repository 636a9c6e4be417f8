// The store talks to Perch only through the public, script-tag API on `window.perch` (the snippet's stub
// until the loader arrives). Types come from the public package; nothing is imported from SDK internals.
import type { ConsentState, RerankOptions, RerankResult, ShopItem, TrackProps } from '@perch/sdk';

export interface PerchGlobal {
  init(config: Record<string, unknown>): void;
  track(event: string, props?: TrackProps): void;
  consent: { set(state: Partial<ConsentState>): void; get(): ConsentState | Promise<ConsentState> };
  rerank<T extends ShopItem>(list: T[], options?: RerankOptions): Promise<RerankResult<T>>;
  audit(): Promise<unknown>;
  exportData(): Promise<unknown>;
  forget(): Promise<void>;
  intent(): Promise<unknown>;
}

declare global {
  interface Window {
    perch: PerchGlobal;
  }
}

export const perch = (): PerchGlobal => window.perch;

/** Reranks through Perch, and falls back to the shop's order if the SDK is missing or misbehaves. */
export async function rerankOrKeep<T extends ShopItem>(items: T[], options: RerankOptions): Promise<RerankResult<T>> {
  const keep: RerankResult<T> = { items: items.map((item, i) => ({ item, score: 0, originalIndex: i })), personalized: false, reason: 'sdk unavailable' };
  try {
    const p = window.perch;
    if (!p || typeof p.rerank !== 'function') return keep;
    const r = await p.rerank(items, options);
    return r && Array.isArray(r.items) && r.items.length === items.length ? r : keep;
  } catch {
    return keep;
  }
}
