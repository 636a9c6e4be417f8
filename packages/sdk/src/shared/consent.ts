/**
 * Consent rules, pure. Default is `pending` for every purpose: nothing is written and no worker starts
 * until `storage` is `granted`. A privacy signal (GPC, DNT) pins `training` to `denied` whatever the
 * shop or the CMP says later.
 */
import type { ConsentPurpose, ConsentState, ConsentValue } from '../types.js';

export const PURPOSES: readonly ConsentPurpose[] = ['storage', 'personalization', 'training'];
const VALUES: readonly ConsentValue[] = ['granted', 'denied', 'pending'];

export function pendingConsent(): ConsentState {
  return { storage: 'pending', personalization: 'pending', training: 'pending' };
}

/** Keeps only known purposes with known values; anything else in the shop's object is ignored. */
export function sanitizeConsent(update: unknown): Partial<ConsentState> {
  const out: Partial<ConsentState> = {};
  if (!update || typeof update !== 'object') return out;
  for (const p of PURPOSES) {
    let v: unknown;
    try { v = (update as Record<string, unknown>)[p]; } catch { continue; }
    if (typeof v === 'boolean') v = v ? 'granted' : 'denied';
    if (typeof v === 'string' && (VALUES as readonly string[]).includes(v)) out[p] = v as ConsentValue;
  }
  return out;
}

/** Applies an update; purposes in `forcedDenied` stay denied. Returns a new state. */
export function applyConsent(
  state: ConsentState,
  update: Partial<ConsentState>,
  forcedDenied: ReadonlySet<ConsentPurpose>,
): ConsentState {
  const next = { ...state };
  for (const p of PURPOSES) {
    const v = update[p];
    if (v) next[p] = v;
    if (forcedDenied.has(p)) next[p] = 'denied';
  }
  return next;
}

export function sameConsent(a: ConsentState, b: ConsentState): boolean {
  return a.storage === b.storage && a.personalization === b.personalization && a.training === b.training;
}
