import { describe, expect, it } from 'vitest';
import type { ConsentState } from '../../types.js';
import { mapConsentMode, watchConsentMode } from './consent-mode.js';

/** What `gtag('consent', ...)` pushes: its real arguments object. */
function gtag(dl: unknown[], ...a: unknown[]): void {
  (function (..._: unknown[]) {
    // eslint-disable-next-line prefer-rest-params
    dl.push(arguments);
  })(...a);
}

function watch(dl: unknown[]): { updates: Partial<ConsentState>[]; stop: () => void } {
  const updates: Partial<ConsentState>[] = [];
  const stop = watchConsentMode(dl, (u) => updates.push(u));
  return { updates, stop };
}

describe('mapConsentMode', () => {
  it('personalization_storage drives storage and personalization', () => {
    expect(mapConsentMode({ personalization_storage: 'granted' })).toEqual({ storage: 'granted', personalization: 'granted' });
    expect(mapConsentMode({ personalization_storage: 'denied' })).toEqual({ storage: 'denied', personalization: 'denied', training: 'denied' });
  });

  it('analytics_storage alone grants nothing but its denial denies training', () => {
    expect(mapConsentMode({ analytics_storage: 'granted' })).toEqual({});
    expect(mapConsentMode({ analytics_storage: 'denied', personalization_storage: 'granted' })).toEqual({
      storage: 'granted', personalization: 'granted', training: 'denied',
    });
  });

  it('never grants training', () => {
    for (const p of ['granted', 'denied', undefined] as const) {
      for (const a of ['granted', 'denied', undefined] as const) {
        expect(mapConsentMode({ personalization_storage: p, analytics_storage: a }).training).not.toBe('granted');
      }
    }
  });
});

describe('watchConsentMode', () => {
  it('reads existing default then later update (arguments objects and arrays)', () => {
    const dl: unknown[] = [];
    gtag(dl, 'consent', 'default', { ad_storage: 'denied', analytics_storage: 'denied', personalization_storage: 'denied' });
    const { updates } = watch(dl);
    expect(updates).toEqual([{ storage: 'denied', personalization: 'denied', training: 'denied' }]);
    dl.push(['consent', 'update', { personalization_storage: 'granted', analytics_storage: 'granted' }]);
    expect(updates[1]).toEqual({ storage: 'granted', personalization: 'granted' });
  });

  it('reports only changes, once', () => {
    const dl: unknown[] = [];
    const { updates } = watch(dl);
    gtag(dl, 'consent', 'update', { personalization_storage: 'granted' });
    gtag(dl, 'consent', 'update', { personalization_storage: 'granted', ad_storage: 'granted' });
    gtag(dl, 'consent', 'update', { ad_user_data: 'denied' });
    expect(updates).toEqual([{ storage: 'granted', personalization: 'granted' }]);
  });

  it('a default after an update does not undo the update', () => {
    const dl: unknown[] = [];
    const { updates } = watch(dl);
    gtag(dl, 'consent', 'update', { personalization_storage: 'granted' });
    gtag(dl, 'consent', 'default', { personalization_storage: 'denied' });
    expect(updates).toEqual([{ storage: 'granted', personalization: 'granted' }]);
  });

  it('ignores region-scoped defaults, other commands and junk values', () => {
    const dl: unknown[] = [];
    const { updates } = watch(dl);
    gtag(dl, 'consent', 'default', { personalization_storage: 'denied', region: ['DE', 'FR'] });
    gtag(dl, 'consent', 'update', { personalization_storage: 'yes please' });
    gtag(dl, 'consent', 'revoke', { personalization_storage: 'denied' });
    gtag(dl, 'event', 'view_item', { personalization_storage: 'denied' });
    dl.push({ event: 'consent_update', personalization_storage: 'denied' }, null, 7);
    expect(updates).toEqual([]);
  });

  it('keeps push working, and unsubscribing restores it and stops updates', () => {
    const dl: unknown[] = [];
    const { updates, stop } = watch(dl);
    expect(dl.push(['consent', 'update', { personalization_storage: 'denied' }])).toBe(1);
    stop();
    expect(dl.push).toBe(Array.prototype.push);
    dl.push(['consent', 'update', { personalization_storage: 'granted' }]);
    expect(updates).toHaveLength(1);
  });

  it('a throwing onUpdate or hostile entry never reaches the page', () => {
    const dl: unknown[] = [];
    watchConsentMode(dl, () => {
      throw new Error('manager failed');
    });
    expect(() => gtag(dl, 'consent', 'update', { personalization_storage: 'granted' })).not.toThrow();
    const hostile = new Proxy([], { get() { throw new Error('trap'); } });
    expect(() => dl.push(hostile)).not.toThrow();
  });

  it('2,000 random pushes: never throws, only valid values, training never granted', () => {
    let seed = 42;
    const r = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = <T,>(a: readonly T[]): T => a[Math.floor(r() * a.length)] as T;
    const values = ['granted', 'denied', 'GRANTED', '', null, undefined, 1, {}, Symbol('v')];
    const types = ['personalization_storage', 'analytics_storage', 'ad_storage', 'region', '__proto__', 'wait_for_update'];
    const dl: unknown[] = [];
    const updates: Partial<ConsentState>[] = [];
    watchConsentMode(dl, (u) => updates.push(u));
    for (let i = 0; i < 2000; i++) {
      const params: Record<string, unknown> = {};
      for (let k = 0; k < 3; k++) params[pick(types)] = pick(values);
      const entry = pick([
        () => ['consent', pick(['default', 'update', 'other']), params],
        () => { const a: unknown[] = []; gtag(a, 'consent', pick(['default', 'update']), params); return a[0]; },
        () => new Proxy({}, { get() { throw new Error('trap'); } }),
        () => pick(values),
      ])();
      expect(() => dl.push(entry)).not.toThrow();
    }
    expect(updates.length).toBeGreaterThan(5);
    for (const u of updates) {
      for (const [k, v] of Object.entries(u)) {
        expect(['storage', 'personalization', 'training']).toContain(k);
        expect(['granted', 'denied']).toContain(v);
      }
      expect(u.training).not.toBe('granted');
    }
  });
});
