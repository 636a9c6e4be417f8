/**
 * GTM `dataLayer` bridge. Reads e-commerce pushes already on the page and wraps `dataLayer.push` to see
 * later ones, without changing what the page's own push does or returns. Nothing here throws into the page.
 */
import { NEEDS_ITEMS } from '../shared/events/names.js';

type Entry = unknown;

/** Reads `o[k]` on a page object whose getters may throw. */
function get(o: unknown, k: string | number): unknown {
  if ((typeof o !== 'object' && typeof o !== 'function') || o === null) return undefined;
  try {
    return (o as Record<string | number, unknown>)[k];
  } catch {
    return undefined;
  }
}

/**
 * Calls `onEntry` for every entry already in `dataLayer`, then for every entry pushed later. Returns a
 * function that stops observing and, when nobody wrapped `push` after us, restores the original push.
 */
export function observePushes(dataLayer: unknown[], onEntry: (entry: Entry) => void): () => void {
  let active = true;
  const safe = (e: Entry): void => {
    if (!active) return;
    try {
      onEntry(e);
    } catch {
      // A throwing observer must never break the page's push.
    }
  };
  try {
    return wrapPush(dataLayer, safe, () => {
      active = false;
    });
  } catch {
    // A revoked Proxy or a throwing `push` getter: observe nothing rather than break the page.
    active = false;
    return () => {};
  }
}

function wrapPush(dataLayer: unknown[], safe: (e: Entry) => void, deactivate: () => void): () => void {
  if (!Array.isArray(dataLayer)) return () => {};
  // Snapshot first: an observer that pushes must not make this loop run forever.
  const existing = dataLayer.slice();
  for (const e of existing) safe(e);

  const original = dataLayer.push;
  // Usually `push` is Array.prototype's; restoring then means deleting our own property, not shadowing.
  const hadOwnPush = Object.prototype.hasOwnProperty.call(dataLayer, 'push');
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    // The page's push runs first and its result (or exception) is the page's, untouched.
    const result = (original as (...a: unknown[]) => unknown).apply(this, args);
    for (const a of args) safe(a);
    return result;
  };
  try {
    dataLayer.push = wrapped as typeof dataLayer.push;
  } catch {
    return deactivate;
  }
  return () => {
    deactivate();
    try {
      // If someone (GTM loads late and wraps push itself) replaced our wrapper, leave theirs in place:
      // our wrapper then just forwards, since the observer is inactive.
      if (dataLayer.push === wrapped) {
        if (hadOwnPush) dataLayer.push = original;
        else delete (dataLayer as { push?: unknown }).push;
      }
    } catch {
      /* frozen or exotic array: the inactive wrapper keeps forwarding */
    }
  };
}

function isGa4Event(name: unknown): name is string {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(NEEDS_ITEMS, name);
}

/**
 * Bridges GTM e-commerce into `track()`:
 * - `dataLayer.push({ event: 'view_item', ecommerce: { items: [...] } })` → `track('view_item', ecommerce)`;
 * - `gtag('event', 'view_item', { items: [...] })`, which pushes an `arguments` object, → the same.
 * Only GA4 e-commerce event names are forwarded; other pushes (`gtm.js`, consent, `{ ecommerce: null }`
 * clears, Universal Analytics shapes) are ignored. A throwing `track` is caught.
 */
export function bridgeDataLayer(dataLayer: unknown[], track: (name: string, props: unknown) => void): () => void {
  return observePushes(dataLayer, (entry) => {
    const ev = get(entry, 'event');
    if (ev !== undefined) {
      const ecommerce = get(entry, 'ecommerce');
      if (isGa4Event(ev) && typeof ecommerce === 'object' && ecommerce !== null) track(ev, ecommerce);
      return;
    }
    if (get(entry, 0) === 'event') {
      const name = get(entry, 1);
      const params = get(entry, 2);
      if (isGa4Event(name)) track(name, params === undefined || params === null ? undefined : params);
    }
  });
}
