/**
 * The page's consent state and its log. The log lives in memory until `storage` is granted; the client
 * then persists it through the worker (and keeps appending). Listeners hear every effective change.
 */
import type { ConsentLogEntry, ConsentPurpose, ConsentSource, ConsentState } from '../../types.js';
import { applyConsent, pendingConsent, sameConsent, sanitizeConsent } from '../../shared/consent.js';

export type ConsentListener = (state: ConsentState, prev: ConsentState, source: ConsentSource) => void;

export class ConsentManager {
  #state: ConsentState = pendingConsent();
  readonly #forced = new Set<ConsentPurpose>();
  readonly #listeners = new Set<ConsentListener>();
  readonly log: ConsentLogEntry[] = [];

  get(): ConsentState {
    return { ...this.#state };
  }

  /** One purpose, without copying (the `track()` hot path reads this). */
  value(purpose: ConsentPurpose): ConsentState[ConsentPurpose] {
    return this.#state[purpose];
  }

  /** Pins a purpose to `denied` (GPC/DNT); logged under that source. */
  force(purpose: ConsentPurpose, source: ConsentSource): void {
    this.#forced.add(purpose);
    this.set({ [purpose]: 'denied' }, source, true);
  }

  /**
   * Applies a (possibly hostile) update. Logged and announced only when something changed, unless
   * `alwaysLog` (e.g. the shop's explicit `init` consent, kept as evidence even when it changes nothing).
   */
  set(update: unknown, source: ConsentSource, alwaysLog = false): ConsentState {
    const prev = this.#state;
    const next = applyConsent(prev, sanitizeConsent(update), this.#forced);
    const changed = !sameConsent(prev, next);
    this.#state = next;
    if (changed || alwaysLog) this.log.push({ ts: Date.now(), source, state: { ...next } });
    if (changed) {
      for (const l of [...this.#listeners]) {
        try { l({ ...next }, { ...prev }, source); } catch { /* a shop listener must not break consent */ }
      }
    }
    return { ...next };
  }

  onChange(listener: ConsentListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  clearListeners(): void {
    this.#listeners.clear();
  }
}
