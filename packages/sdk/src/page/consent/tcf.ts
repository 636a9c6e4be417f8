/**
 * IAB TCF v2 adapter: listens through `__tcfapi('addEventListener', 2, cb)` and maps TCF v2.2 purposes
 * to Perch's three purposes.
 *
 * Mapping, and why:
 * - storage         ← purpose 1 "Store and/or access information on a device": Perch keeps the browsing
 *                     sequence in IndexedDB.
 * - personalization ← purposes 5 "Create profiles to personalise content" AND 6 "Use profiles to select
 *                     personalised content": Perch builds an intent profile on the device and uses it to
 *                     order product lists, which is content, not advertising (so not purposes 3/4).
 * - training        ← purpose 10 "Develop and improve services": federated training improves the ranking
 *                     model for every shopper. Purposes 7/8/9 are measurement and audience statistics,
 *                     which federated training is not.
 * Only explicit consent counts (`purpose.consents`, or `publisher.consents` since Perch runs for the
 * publisher itself); legitimate interest is not used for any Perch purpose.
 *
 * Updates are sent only when `gdprApplies` is true and the event status is `tcloaded` or
 * `useractioncomplete` (`cmpuishown` means the shopper has not decided yet). Without GDPR, TCF says
 * nothing about Perch's purposes and the state is left to the API and the other signals.
 * The `__tcfapi` of a parent frame (`__tcfapiLocator` postMessage protocol) is not used.
 */
import type { ConsentState, ConsentValue } from '../../types.js';
import { readProp as read } from '../safe-read.js';

type TcfApi = (command: string, version: number, callback: (...a: unknown[]) => void, param?: unknown) => void;

/** True when purpose `n` has explicit consent, globally or for the publisher. */
function consented(tcData: unknown, n: number): boolean {
  return read(read(read(tcData, 'purpose'), 'consents'), n) === true || read(read(read(tcData, 'publisher'), 'consents'), n) === true;
}

/** Perch purposes implied by one TC data object, or null when it must not change anything. */
export function mapTcData(tcData: unknown): Partial<ConsentState> | null {
  if (read(tcData, 'gdprApplies') !== true) return null;
  const status = read(tcData, 'eventStatus');
  if (status !== 'tcloaded' && status !== 'useractioncomplete') return null;
  const v = (b: boolean): ConsentValue => (b ? 'granted' : 'denied');
  return {
    storage: v(consented(tcData, 1)),
    personalization: v(consented(tcData, 5) && consented(tcData, 6)),
    training: v(consented(tcData, 10)),
  };
}

/**
 * Subscribes to TCF consent changes on `win.__tcfapi`. A missing or throwing `__tcfapi` does nothing.
 * Returns an unsubscribe that removes the listener (also when the CMP has not answered yet).
 */
export function watchTcf(win: any, onUpdate: (u: Partial<ConsentState>) => void): () => void {
  const api = read(win, '__tcfapi');
  if (typeof api !== 'function') return () => {};
  const call = api as TcfApi;
  let stopped = false;
  let listenerId: unknown;

  const remove = (): void => {
    try {
      call.call(win, 'removeEventListener', 2, () => {}, listenerId);
    } catch {
      /* a broken CMP cannot be helped; our callback ignores it from now on */
    }
  };
  const callback = (tcData: unknown, success?: unknown): void => {
    if (success === false) return;
    const id = read(tcData, 'listenerId');
    if (id !== undefined && id !== null) listenerId = id;
    if (stopped) {
      // The CMP answered after we unsubscribed: now that we know the id, remove the listener.
      if (listenerId !== undefined) remove();
      return;
    }
    const u = mapTcData(tcData);
    if (u === null) return;
    try {
      onUpdate(u);
    } catch {
      /* the runtime's handler must not break the CMP's dispatch loop */
    }
  };
  try {
    call.call(win, 'addEventListener', 2, callback);
  } catch {
    return () => {};
  }
  return () => {
    if (stopped) return;
    stopped = true;
    if (listenerId !== undefined) remove();
  };
}
