// The intent panel: the on-device profile from perch.intent(), refreshed after every route and cart change.
import { loaded, perch } from '../perch.js';
import { attrName } from '../store.js';
import { esc } from './card.js';

let pending: ReturnType<typeof setTimeout> | undefined;
/** intent() answers an empty profile when the worker misses its 200 ms budget (a busy device): ask again, later. */
const RETRY_MS = [500, 1000, 2000, 4000];

/** Refreshes the panel soon (debounced: several events in a row cost one intent() call). */
export function refreshIntent(delayMs = 150, attempt = 0): void {
  clearTimeout(pending);
  pending = setTimeout(() => void render(attempt), delayMs);
}

const label = (id: string): string => attrName(id) ?? id;

async function render(attempt: number): Promise<void> {
  const el = document.getElementById('intent');
  if (!el || !(await loaded())) return;
  const p = await perch().intent().catch(() => null);
  // No purchase intent means no model, no consent, erased data or a late answer: show it as it is (an erased
  // profile must not linger) and ask again a few times.
  if (p?.purchaseIntent == null && attempt < RETRY_MS.length) refreshIntent(RETRY_MS[attempt], attempt + 1);
  const cats = (p?.categories ?? []).slice(0, 3);
  const brands = (p?.brands ?? []).slice(0, 2);
  const intent = p?.purchaseIntent;
  const bar = (w: number) => `<span class="meter" aria-hidden="true"><span style="width:${Math.round(Math.max(0, Math.min(1, w)) * 100)}%"></span></span>`;
  el.innerHTML = `<span class="intent-title">Your profile, on this device:</span>
    <span class="chip" data-intent="purchase">Purchase intent <b>${intent == null ? '—' : `${Math.round(intent * 100)}%`}</b>${intent == null ? '' : bar(intent)}</span>
    ${cats.length ? cats.map((c) => `<span class="chip" data-intent="category">${esc(label(c.id))} ${bar(c.weight)}</span>`).join('') : '<span class="chip muted">No interests yet: browse a little</span>'}
    ${brands.map((b) => `<span class="chip" data-intent="brand">${esc(label(b.id))} ${bar(b.weight)}</span>`).join('')}`;
}
