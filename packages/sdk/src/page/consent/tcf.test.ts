import { describe, expect, it } from 'vitest';
import type { ConsentState } from '../../types.js';
import { mapTcData, watchTcf } from './tcf.js';

type Listener = (tcData: unknown, success: boolean) => void;

/** A CMP stand-in implementing the `__tcfapi` listener commands of TCF v2. */
class FakeCmp {
  listeners = new Map<number, Listener>();
  removed: number[] = [];
  private next = 7;
  /** When set, addEventListener does not answer until `answer()` is called. */
  deferred = false;
  private pending: Array<[number, Listener]> = [];

  readonly api = (command: string, version: number, cb: (...a: unknown[]) => void, param?: unknown): void => {
    if (version !== 2) return;
    if (command === 'addEventListener') {
      const id = this.next++;
      this.listeners.set(id, cb as Listener);
      if (this.deferred) this.pending.push([id, cb as Listener]);
      else cb(this.data(id, 'cmpuishown', {}), true);
    } else if (command === 'removeEventListener') {
      const ok = this.listeners.delete(param as number);
      if (ok) this.removed.push(param as number);
      cb(ok);
    }
  };

  data(listenerId: number, eventStatus: string, consents: Record<number, boolean>, extra: object = {}): object {
    return { tcString: 'CP...', gdprApplies: true, eventStatus, listenerId, purpose: { consents, legitimateInterests: {} }, publisher: { consents: {} }, ...extra };
  }

  emit(eventStatus: string, consents: Record<number, boolean>, extra: object = {}): void {
    for (const [id, cb] of this.listeners) cb(this.data(id, eventStatus, consents, extra), true);
  }

  answer(): void {
    for (const [id, cb] of this.pending) cb(this.data(id, 'tcloaded', { 1: true }), true);
    this.pending = [];
  }
}

function watch(win: unknown): { updates: Partial<ConsentState>[]; stop: () => void } {
  const updates: Partial<ConsentState>[] = [];
  return { updates, stop: watchTcf(win, (u) => updates.push(u)) };
}

describe('mapTcData (TCF v2.2 purposes)', () => {
  const base = { gdprApplies: true, eventStatus: 'useractioncomplete' };
  it('storage ← 1, personalization ← 5 and 6, training ← 10', () => {
    expect(mapTcData({ ...base, purpose: { consents: { 1: true, 5: true, 6: true, 10: true } } })).toEqual({
      storage: 'granted', personalization: 'granted', training: 'granted',
    });
    expect(mapTcData({ ...base, purpose: { consents: { 1: true, 5: true, 6: false, 10: false } } })).toEqual({
      storage: 'granted', personalization: 'denied', training: 'denied',
    });
  });

  it('advertising and measurement purposes grant nothing', () => {
    const ads = { 2: true, 3: true, 4: true, 7: true, 8: true, 9: true, 11: true };
    expect(mapTcData({ ...base, purpose: { consents: ads } })).toEqual({ storage: 'denied', personalization: 'denied', training: 'denied' });
  });

  it('publisher consents count; legitimate interest does not', () => {
    expect(mapTcData({ ...base, purpose: { consents: {} }, publisher: { consents: { 1: true } } })?.storage).toBe('granted');
    expect(mapTcData({ ...base, purpose: { consents: {}, legitimateInterests: { 10: true } } })?.training).toBe('denied');
  });

  it('says nothing outside GDPR or before the shopper decided', () => {
    expect(mapTcData({ gdprApplies: false, eventStatus: 'tcloaded', purpose: { consents: { 1: true } } })).toBeNull();
    expect(mapTcData({ gdprApplies: true, eventStatus: 'cmpuishown', purpose: { consents: { 1: true } } })).toBeNull();
    expect(mapTcData(null)).toBeNull();
  });
});

describe('watchTcf', () => {
  it('maps tcloaded and useractioncomplete events, skipping cmpuishown', () => {
    const cmp = new FakeCmp();
    const { updates } = watch({ __tcfapi: cmp.api });
    expect(updates).toEqual([]);
    cmp.emit('useractioncomplete', { 1: true, 5: true, 6: true });
    cmp.emit('useractioncomplete', { 1: false });
    expect(updates).toEqual([
      { storage: 'granted', personalization: 'granted', training: 'denied' },
      { storage: 'denied', personalization: 'denied', training: 'denied' },
    ]);
  });

  it('removes its listener on unsubscribe and ignores later events', () => {
    const cmp = new FakeCmp();
    const { updates, stop } = watch({ __tcfapi: cmp.api });
    stop();
    expect(cmp.removed).toEqual([7]);
    expect(cmp.listeners.size).toBe(0);
    cmp.emit('tcloaded', { 1: true });
    expect(updates).toEqual([]);
  });

  it('removes the listener once the CMP answers, if unsubscribed before', () => {
    const cmp = new FakeCmp();
    cmp.deferred = true;
    const { updates, stop } = watch({ __tcfapi: cmp.api });
    stop();
    expect(cmp.removed).toEqual([]);
    cmp.answer();
    expect(cmp.removed).toEqual([7]);
    expect(updates).toEqual([]);
  });

  it('ignores non-GDPR data and failed calls', () => {
    const cmp = new FakeCmp();
    const { updates } = watch({ __tcfapi: cmp.api });
    cmp.emit('tcloaded', { 1: true }, { gdprApplies: false });
    for (const cb of cmp.listeners.values()) cb(cmp.data(7, 'tcloaded', { 1: true }), false);
    expect(updates).toEqual([]);
  });

  it('a missing, throwing or hostile __tcfapi is harmless', () => {
    expect(() => watch({}).stop()).not.toThrow();
    expect(() => watch(undefined).stop()).not.toThrow();
    expect(() => watch({ __tcfapi: 'nope' }).stop()).not.toThrow();
    expect(() => watch({ __tcfapi: () => { throw new Error('cmp down'); } }).stop()).not.toThrow();
    expect(() => watch(Object.defineProperty({}, '__tcfapi', { get() { throw new Error('getter'); } })).stop()).not.toThrow();
    // A CMP that answers with a hostile object and throws on removal.
    const weird = (cmd: string, _v: number, cb: (...a: unknown[]) => void): void => {
      if (cmd === 'removeEventListener') throw new Error('no');
      cb(new Proxy({}, { get() { throw new Error('trap'); } }), true);
      cb({ gdprApplies: true, eventStatus: 'tcloaded', listenerId: 1, purpose: { consents: { 1: true } } }, true);
    };
    const w = watch({ __tcfapi: weird });
    expect(w.updates).toEqual([{ storage: 'granted', personalization: 'denied', training: 'denied' }]);
    expect(() => w.stop()).not.toThrow();
  });

  it('a throwing onUpdate does not break the CMP dispatch', () => {
    const cmp = new FakeCmp();
    watchTcf({ __tcfapi: cmp.api }, () => {
      throw new Error('manager failed');
    });
    expect(() => cmp.emit('tcloaded', { 1: true })).not.toThrow();
  });
});
