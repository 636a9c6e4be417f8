import { describe, expect, it } from 'vitest';
import { ConsentManager } from '../page/consent/manager.js';
import { applyConsent, pendingConsent, sanitizeConsent } from './consent.js';

describe('consent rules', () => {
  it('defaults to pending and ignores unknown purposes and values', () => {
    expect(pendingConsent()).toEqual({ storage: 'pending', personalization: 'pending', training: 'pending' });
    expect(sanitizeConsent({ storage: 'granted', training: 'yes', ads: 'granted', personalization: false })).toEqual({ storage: 'granted', personalization: 'denied' });
    expect(sanitizeConsent(null)).toEqual({});
    expect(sanitizeConsent(new Proxy({}, { get() { throw new Error('x'); } }))).toEqual({});
  });
  it('keeps forced purposes denied', () => {
    const s = applyConsent(pendingConsent(), { training: 'granted', storage: 'granted' }, new Set(['training'] as const));
    expect(s).toEqual({ storage: 'granted', personalization: 'pending', training: 'denied' });
  });
});

describe('ConsentManager', () => {
  it('logs and announces only effective changes; a throwing listener does not break it', () => {
    const m = new ConsentManager();
    const seen: string[] = [];
    m.onChange(() => { throw new Error('shop bug'); });
    m.onChange((s, prev, src) => seen.push(`${src}:${prev.storage}->${s.storage}`));
    m.set({ storage: 'granted' }, 'api');
    m.set({ storage: 'granted' }, 'tcf');
    m.set({ storage: 'denied' }, 'consent-mode');
    expect(seen).toEqual(['api:pending->granted', 'consent-mode:granted->denied']);
    expect(m.log.map((e) => e.source)).toEqual(['api', 'consent-mode']);
  });
  it('GPC pins training to denied for the rest of the page', () => {
    const m = new ConsentManager();
    m.force('training', 'gpc');
    expect(m.set({ training: 'granted' }, 'api').training).toBe('denied');
    expect(m.log.map((e) => [e.source, e.state.training])).toEqual([['gpc', 'denied']]);
  });
});
