/**
 * Page lifecycle and cross-tab notices. When the page is hidden or unloaded the client pushes its batch
 * and asks the worker to commit; other tabs of the same shop hear consent changes and `forget()`.
 */
import type { ConsentSource, ConsentState } from '../types.js';

export type TabNotice = { t: 'consent'; state: ConsentState; source: ConsentSource } | { t: 'forget' };

/** Calls `onHide` on `visibilitychange`→hidden and on `pagehide`; returns the unsubscribe. */
export function onPageHide(onHide: () => void): () => void {
  if (typeof addEventListener !== 'function' || typeof document === 'undefined') return () => undefined;
  const vis = (): void => { if (document.visibilityState === 'hidden') onHide(); };
  document.addEventListener('visibilitychange', vis);
  addEventListener('pagehide', onHide);
  return () => {
    document.removeEventListener('visibilitychange', vis);
    removeEventListener('pagehide', onHide);
  };
}

/** A BroadcastChannel per database name; a no-op where BroadcastChannel is missing. */
export function tabChannel(dbName: string, onNotice: (n: TabNotice) => void): { post(n: TabNotice): void; close(): void } {
  if (typeof BroadcastChannel === 'undefined') return { post: () => undefined, close: () => undefined };
  const ch = new BroadcastChannel(`perch:${dbName}`);
  ch.onmessage = (ev: MessageEvent) => {
    const n = ev.data as TabNotice | null;
    if (n && (n.t === 'forget' || (n.t === 'consent' && n.state && typeof n.state === 'object'))) onNotice(n);
  };
  return {
    post: (n) => { try { ch.postMessage(n); } catch { /* closed */ } },
    close: () => ch.close(),
  };
}
