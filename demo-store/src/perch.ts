// The store talks to Perch only through the public, script-tag API on `window.perch` (the snippet's stub
// until the loader arrives). Types come from the public package; nothing is imported from SDK internals.
import type { AuditReport, ConsentState, ExportedData, ForgetOptions, ForgetResult, IntentProfile, PerchConfig, RerankOptions, RerankResult, ShopItem, TrackProps } from '@perch/sdk';

export interface PerchGlobal {
  loaded?: boolean;
  init(config: PerchConfig): void;
  track(event: string, props?: TrackProps): void;
  consent: { set(state: Partial<ConsentState>): void; get(): ConsentState | undefined; onChange?(fn: (s: ConsentState) => void): () => void };
  rerank<T extends ShopItem>(list: T[], options?: RerankOptions): Promise<RerankResult<T>>;
  audit(): Promise<AuditReport>;
  exportData(): Promise<ExportedData>;
  forget(options?: ForgetOptions): Promise<ForgetResult>;
  intent(): Promise<IntentProfile>;
  ready(): Promise<void>;
}

declare global {
  interface Window {
    perch: PerchGlobal;
  }
}

export const perch = (): PerchGlobal => window.perch;

/** Resolves once the real loader replaced the snippet's stub (the stub's calls return nothing). */
export async function loaded(timeoutMs = 10_000): Promise<boolean> {
  const t0 = performance.now();
  while (!window.perch?.loaded) {
    if (performance.now() - t0 > timeoutMs) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** Reranks through Perch, and falls back to the shop's order if the SDK is missing or misbehaves. */
export async function rerankOrKeep<T extends ShopItem>(items: T[], options: RerankOptions): Promise<RerankResult<T>> {
  const keep = (reason: string): RerankResult<T> => ({ items: items.map((item, i) => ({ item, score: 0, originalIndex: i })), personalized: false, reason });
  try {
    if (!(await loaded(3000))) return keep('sdk unavailable');
    const r = await window.perch.rerank(items, options);
    return r && Array.isArray(r.items) && r.items.length === items.length ? r : keep(r?.reason ?? 'sdk unavailable');
  } catch {
    return keep('sdk error');
  }
}
