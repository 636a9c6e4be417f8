import { describe, expect, it } from 'vitest';
import { privacySignals } from './signals.js';

describe('privacySignals', () => {
  it('reads Global Privacy Control as a boolean true only', () => {
    expect(privacySignals({ globalPrivacyControl: true }, {}).gpc).toBe(true);
    for (const v of [false, 'true', 1, undefined, null]) expect(privacySignals({ globalPrivacyControl: v }, {}).gpc).toBe(false);
  });

  it('reads Do Not Track from navigator ("1", old Firefox "yes") or window', () => {
    expect(privacySignals({ doNotTrack: '1' }, {}).dnt).toBe(true);
    expect(privacySignals({ doNotTrack: 'yes' }, {}).dnt).toBe(true);
    expect(privacySignals({ doNotTrack: null }, { doNotTrack: '1' }).dnt).toBe(true);
    for (const v of ['0', 'no', 'unspecified', null, undefined]) expect(privacySignals({ doNotTrack: v }, {}).dnt).toBe(false);
  });

  it('reports both independently', () => {
    expect(privacySignals({ globalPrivacyControl: true, doNotTrack: '1' }, {})).toEqual({ gpc: true, dnt: true });
    expect(privacySignals({}, {})).toEqual({ gpc: false, dnt: false });
  });

  it('never throws on hostile objects', () => {
    const nav = Object.defineProperties({}, {
      globalPrivacyControl: { get() { throw new Error('x'); } },
      doNotTrack: { get() { throw new Error('y'); } },
    });
    expect(privacySignals(nav, new Proxy({}, { get() { throw new Error('z'); } }))).toEqual({ gpc: false, dnt: false });
  });
});
