/**
 * Page side of "train only when the page is idle or hidden": `hidden` from the Page Visibility API;
 * `idle` once no user input (pointer, key, wheel, touch, scroll) came for `idleAfterMs` AND the browser
 * then ran an idle callback (`requestIdleCallback`: nothing urgent pending); `active` otherwise. Calls
 * `onChange` only when the state changes. Listeners are passive and do O(1) work, so the hot path of the
 * shop's page is untouched. Used by the page only in `mode: 'federated'`.
 */
import type { PageActivity } from '../../shared/federated/api.js';

const INPUT = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'scroll'] as const;

export function watchActivity(idleAfterMs: number, onChange: (a: PageActivity) => void): { stop(): void; current(): PageActivity } {
  if (typeof document === 'undefined' || typeof addEventListener !== 'function') return { stop: () => undefined, current: () => 'active' };
  let state: PageActivity = document.visibilityState === 'hidden' ? 'hidden' : 'active';
  let lastInput = Date.now();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const set = (s: PageActivity): void => { if (s !== state && !stopped) { state = s; onChange(s); } };
  const ric = (cb: () => void): void => {
    const r = (globalThis as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number }).requestIdleCallback;
    if (typeof r === 'function') r(cb, { timeout: 10_000 });
    else setTimeout(cb, 50);
  };
  const arm = (): void => {
    if (timer !== null || stopped) return;
    const wait = Math.max(0, lastInput + idleAfterMs - Date.now());
    timer = setTimeout(() => {
      timer = null;
      if (Date.now() - lastInput < idleAfterMs) return arm();
      ric(() => { if (state === 'active' && Date.now() - lastInput >= idleAfterMs) set('idle'); });
    }, wait);
  };
  const onInput = (): void => {
    lastInput = Date.now();
    if (state === 'idle') set('active');
    arm();
  };
  const onVisibility = (): void => {
    if (document.visibilityState === 'hidden') set('hidden');
    else { set('active'); lastInput = Date.now(); arm(); }
  };
  const opts = { passive: true, capture: true } as const;
  for (const t of INPUT) addEventListener(t, onInput, opts);
  document.addEventListener('visibilitychange', onVisibility);
  arm();
  return {
    current: () => state,
    stop: () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      for (const t of INPUT) removeEventListener(t, onInput, opts);
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
