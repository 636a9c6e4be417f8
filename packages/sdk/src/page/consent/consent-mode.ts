/**
 * Google Consent Mode adapter: reads `gtag('consent', 'default' | 'update', {...})` entries from the
 * `dataLayer` (gtag pushes its `arguments` object; hand-written pushes use arrays: both are read by index).
 *
 * Mapping (Perch purpose ← Consent Mode types), and why:
 * - storage         ← personalization_storage. Perch stores the shopper's browsing sequence on the device
 *                     to personalise product lists, which is what Google defines personalization_storage
 *                     for ("storage related to personalization, e.g. video recommendations").
 *                     analytics_storage is not enough: a shopper who allows analytics but refuses
 *                     personalization must not get a behavioural profile.
 * - personalization ← personalization_storage, for the same reason (reranking reads that profile).
 * - training        ← never granted by Consent Mode: no Consent Mode type covers "develop and improve
 *                     services" or sending model updates. It can only be denied: when
 *                     personalization_storage or analytics_storage is denied, training is denied. A shop
 *                     grants training through the API or TCF purpose 10.
 * ad_storage, ad_user_data and ad_personalization concern advertising and are not used.
 *
 * A `default` that carries a `region` list is ignored: Perch cannot tell the shopper's region, and
 * ignoring it is safe because Perch treats `pending` as not granted. A `default` seen after an `update`
 * does not override the type the update set, so a late default cannot undo the shopper's own choice.
 * Training, once denied here, stays denied until granted again through the API or TCF.
 */
import type { ConsentState, ConsentValue } from '../../types.js';
import { observePushes } from '../track/datalayer.js';
import { readProp as read } from '../safe-read.js';

type GcmValue = 'granted' | 'denied';
type GcmState = Partial<Record<'personalization_storage' | 'analytics_storage', GcmValue>>;

function gcmValue(v: unknown): GcmValue | undefined {
  return v === 'granted' || v === 'denied' ? v : undefined;
}

/** Perch purposes implied by the Consent Mode types seen so far (only the purposes they speak to). */
export function mapConsentMode(s: GcmState): Partial<ConsentState> {
  const out: Partial<ConsentState> = {};
  const p = s.personalization_storage;
  if (p !== undefined) {
    out.storage = p;
    out.personalization = p;
  }
  if (p === 'denied' || s.analytics_storage === 'denied') out.training = 'denied' satisfies ConsentValue;
  return out;
}

/**
 * Watches Consent Mode commands in `dataLayer`: existing entries first, then later pushes. Calls
 * `onUpdate` with the purposes a command changed. Returns an unsubscribe that restores `push`.
 */
export function watchConsentMode(dataLayer: unknown[], onUpdate: (u: Partial<ConsentState>) => void): () => void {
  const state: GcmState = {};
  const fromUpdate = new Set<string>();
  let last = '';
  return observePushes(dataLayer, (entry) => {
    if (read(entry, 0) !== 'consent') return;
    const command = read(entry, 1);
    if (command !== 'default' && command !== 'update') return;
    const params = read(entry, 2);
    if (typeof params !== 'object' || params === null) return;
    if (command === 'default' && read(params, 'region') !== undefined) return;
    let changed = false;
    for (const type of ['personalization_storage', 'analytics_storage'] as const) {
      const v = gcmValue(read(params, type));
      if (v === undefined) continue;
      if (command === 'default' && fromUpdate.has(type)) continue;
      if (command === 'update') fromUpdate.add(type);
      if (state[type] !== v) changed = true;
      state[type] = v;
    }
    if (!changed) return;
    const u = mapConsentMode(state);
    // Repeated identical updates (CMPs re-send on every page view) are reported once.
    const key = JSON.stringify(u);
    if (key === last || key === '{}') return;
    last = key;
    onUpdate(u);
  });
}
