/**
 * GTM `dataLayer` bridge. Reads e-commerce pushes already on the page and wraps `dataLayer.push` to see
 * later ones, without changing what the page's own push does or returns. Nothing here throws into the page.
 */
import type { PushVia } from '../../shared/events/datalayer.js';
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

/** gtag.js pushes its `arguments` object; a GTM command array is an array. */
function isArgs(e: unknown): boolean {
  return Array.isArray(e) || Object.prototype.toString.call(e) === '[object Arguments]';
}

/**
 * Bridges GTM and gtag.js pushes into the worker, which decides what each means (`readPush`: GA4 and
 * Universal Analytics e-commerce become events, other e-commerce is refused with a reason, everything else is
 * counted as ignored). The page only takes the parts that matter, so a push carrying DOM elements
 * (`gtm.element`) or callbacks costs nothing to copy:
 * - an object push: its `event` as the name and its `ecommerce` value (`ecommerce`), or, without that key, its
 *   top-level `items`, `products` and classic-ecommerce transaction (`push`);
 * - gtag('event', name, params): the name and the params (`gtag-event`); other gtag commands by kind;
 * - anything else: counted (`other`).
 * A throwing `track` or getter is caught.
 */
export function bridgeDataLayer(dataLayer: unknown[], track: (name: unknown, props: unknown, via: PushVia) => void): () => void {
  return observePushes(dataLayer, (entry) => {
    let call: PassedOn;
    try {
      call = passOn(entry);
    } catch {
      // A revoked Proxy or a throwing trap: unreadable, so counted as a push that is not e-commerce.
      call = [undefined, undefined, 'other'];
    }
    track(call[0], call[1], call[2]);
  });
}

type PassedOn = [name: unknown, props: unknown, via: PushVia];

/** The parts of one push the worker reads (see `bridgeDataLayer`); may throw on an exotic object. */
function passOn(entry: unknown): PassedOn {
  if (isArgs(entry)) {
    const command = get(entry, 0);
    return [get(entry, 1), get(entry, 2), command === 'event' ? 'gtag-event' : command === 'consent' ? 'gtag-consent' : 'gtag-other'];
  }
  if (typeof entry !== 'object' || entry === null) return [undefined, undefined, 'other'];
  const name = get(entry, 'event');
  if (Object.prototype.hasOwnProperty.call(entry, 'ecommerce')) return [name, get(entry, 'ecommerce'), 'ecommerce'];
  return [name, { items: get(entry, 'items'), products: get(entry, 'products'), eventModel: get(entry, 'eventModel'), transactionProducts: get(entry, 'transactionProducts'), transactionTotal: get(entry, 'transactionTotal') }, 'push'];
}
