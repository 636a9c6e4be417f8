/**
 * GTM `dataLayer` bridge. Reads e-commerce pushes already on the page and wraps `dataLayer.push` to see
 * later ones, without changing what the page's own push does or returns. Nothing here throws into the page.
 */
import { NEEDS_ITEMS } from '../../shared/events/names.js';
import { readProp as get } from '../safe-read.js';

type Entry = unknown;

/** One wrapper per dataLayer, shared by every observer, so unsubscribing in any order restores `push`. */
interface Hub {
  observers: Set<(e: Entry) => void>;
  original: unknown;
  wrapped: unknown;
  hadOwnPush: boolean;
}
const hubs = new WeakMap<object, Hub>();

function install(dataLayer: unknown[]): Hub {
  const original = dataLayer.push;
  const hub: Hub = {
    observers: new Set(),
    original,
    // Usually `push` is Array.prototype's; restoring then means deleting our own property, not shadowing.
    hadOwnPush: Object.prototype.hasOwnProperty.call(dataLayer, 'push'),
    wrapped: undefined,
  };
  hub.wrapped = function (this: unknown, ...args: unknown[]): unknown {
    // The page's push runs first and its result (or exception) is the page's, untouched.
    const result = (original as (...a: unknown[]) => unknown).apply(this, args);
    for (const a of args) for (const o of [...hub.observers]) o(a);
    return result;
  };
  dataLayer.push = hub.wrapped as typeof dataLayer.push;
  hubs.set(dataLayer, hub);
  return hub;
}

function release(dataLayer: unknown[], hub: Hub): void {
  if (hub.observers.size > 0) return;
  hubs.delete(dataLayer);
  try {
    // If someone (GTM loading late) wrapped our wrapper, leave theirs in place: ours then only forwards.
    if (dataLayer.push !== hub.wrapped) return;
    if (hub.hadOwnPush) dataLayer.push = hub.original as typeof dataLayer.push;
    else delete (dataLayer as { push?: unknown }).push;
  } catch {
    /* frozen or exotic array: the observer-less wrapper keeps forwarding */
  }
}

/**
 * Calls `onEntry` for every entry already in `dataLayer`, then for every entry pushed later. Returns a
 * function that stops observing; when the last observer of that array stops, the original push is back.
 * A throwing `onEntry`, a frozen array or a revoked Proxy never throws into the page.
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
  let hub: Hub | undefined;
  try {
    if (!Array.isArray(dataLayer)) return () => {};
    // Snapshot, then hook, then replay: a push made while replaying is seen once, and an observer
    // that pushes cannot make the replay loop run forever.
    const existing = dataLayer.slice();
    try {
      hub = hubs.get(dataLayer) ?? install(dataLayer);
      hub.observers.add(safe);
    } catch {
      // A throwing `push` getter or a frozen array: replay what is there, observe nothing more.
      hub = undefined;
    }
    for (const e of existing) safe(e);
  } catch {
    // A revoked Proxy: nothing to read.
    hub = undefined;
  }
  return () => {
    if (!active) return;
    active = false;
    if (hub === undefined) return;
    hub.observers.delete(safe);
    release(dataLayer, hub);
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
