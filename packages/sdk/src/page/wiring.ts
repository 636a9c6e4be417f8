/**
 * Connects the outside world's consent and events to the client at `init()`: browser privacy signals
 * (GPC, DNT: pin `training` to denied), IAB TCF v2, Google Consent Mode and the GTM `dataLayer` bridge.
 * Each adapter is optional and isolated: one failing never stops the others or `init()`. The TCF,
 * Consent Mode and dataLayer adapters live in `perch-consent.js`, loaded only when they are in use; they
 * read the CMP's current state and the dataLayer's earlier pushes when attached, so the load delay loses
 * nothing. A chunk that cannot load is passed to `onFail` (reported in `audit()`).
 */
import type { PerchConfig } from '../types.js';
import type { PushVia } from '../shared/events/datalayer.js';
import { loadChunk } from './chunks.js';
import type { ConsentManager } from './consent/manager.js';
import { privacySignals } from './consent/signals.js';
import { debug } from './log.js';

type Track = (name: unknown, props: unknown, via?: PushVia) => boolean;

function attempt(what: string, fn: () => void): void {
  try { fn(); } catch (e) { debug(`${what} adapter failed`, e); }
}

/** Wires everything; pushes unsubscribers onto `cleanups`; returns the privacy signals seen. */
export function wireSignals(
  config: PerchConfig,
  consent: ConsentManager,
  cleanups: Array<() => void>,
  track: Track,
  base: string | null,
  onFail: (reason: string) => void,
): { gpc: boolean; dnt: boolean } {
  let signals = { gpc: false, dnt: false };
  const win = typeof window !== 'undefined' ? (window as unknown as Record<string, unknown>) : undefined;
  attempt('privacy signals', () => {
    const s = privacySignals(typeof navigator !== 'undefined' ? navigator : undefined, win as never);
    signals = { gpc: !!s.gpc, dnt: !!s.dnt };
    if (signals.gpc) consent.force('training', 'gpc');
    if (signals.dnt) consent.force('training', 'dnt');
  });
  if (!win) return signals;
  const useTcf = config.tcf === true || (config.tcf !== false && typeof win.__tcfapi === 'function');
  if (!useTcf && !config.dataLayer) return signals;
  let stopped = false;
  cleanups.push(() => { stopped = true; });
  loadChunk('consent', base).then((m) => {
    if (stopped) return;
    if (useTcf) attempt('TCF', () => { cleanups.push(m.watchTcf(win as never, (u) => consent.set(u, 'tcf'))); });
    if (config.dataLayer) {
      attempt('dataLayer', () => {
        const dl = Array.isArray(config.dataLayer) ? config.dataLayer : ((win.dataLayer as unknown[] | undefined) ??= []);
        if (!Array.isArray(dl)) return;
        cleanups.push(m.watchConsentMode(dl, (u) => consent.set(u, 'consent-mode')));
        cleanups.push(m.bridgeDataLayer(dl, (n, p, v) => { track(n, p, v); }));
      });
    }
  }, (e: unknown) => onFail((e as Error).message));
  return signals;
}
