import { describe, expect, it } from 'vitest';
import { bridgeDataLayer, observePushes } from './datalayer.js';

type Call = [unknown, unknown, string];

function gtagArgs(...a: unknown[]): IArguments {
  // gtag pushes its real `arguments` object: array-like, not an array.
  return (function (..._: unknown[]) {
    // eslint-disable-next-line prefer-rest-params
    return arguments;
  })(...a);
}

function bridge(dl: unknown[]): { calls: Call[]; stop: () => void } {
  const calls: Call[] = [];
  const stop = bridgeDataLayer(dl, (n, p, v) => calls.push([n, p, v]));
  return { calls, stop };
}

describe('bridgeDataLayer', () => {
  it('passes on every existing and later push: an object push\'s event with its ecommerce value', () => {
    const early = { items: [{ item_id: 'A' }] };
    const dl: unknown[] = [{ event: 'gtm.js', 'gtm.start': 1 }, { ecommerce: null }, { event: 'view_item', ecommerce: early }];
    const { calls } = bridge(dl);
    expect(calls).toEqual([['gtm.js', { items: undefined, products: undefined, eventModel: undefined, transactionProducts: undefined, transactionTotal: undefined }, 'push'], [undefined, null, 'ecommerce'], ['view_item', early, 'ecommerce']]);
    const ua = { detail: { actionField: { list: 'x' }, products: [{ id: 'B' }] } };
    dl.push({ event: 'productDetail', ecommerce: ua });
    expect(calls.at(-1)).toEqual(['productDetail', ua, 'ecommerce']);
    expect(dl).toHaveLength(4);
  });

  it('passes on gtag pushes (an arguments object) with their command, and top-level items of an object push', () => {
    const dl: unknown[] = [];
    const { calls } = bridge(dl);
    const params = { items: [{ item_id: 'C' }] };
    dl.push(gtagArgs('event', 'add_to_cart', params));
    dl.push(gtagArgs('consent', 'update', { ad_storage: 'granted' }));
    dl.push(gtagArgs('config', 'G-XXXX'));
    dl.push(['set', { currency: 'EUR' }]);
    dl.push({ event: 'view_item', items: [{ item_id: 'D' }], 'gtm.element': { nodeName: 'A' }, eventCallback: () => 1 });
    dl.push('junk', 42, null);
    expect(calls).toEqual([
      ['add_to_cart', params, 'gtag-event'],
      ['update', { ad_storage: 'granted' }, 'gtag-consent'],
      ['G-XXXX', undefined, 'gtag-other'],
      [{ currency: 'EUR' }, undefined, 'gtag-other'],
      ['view_item', { items: [{ item_id: 'D' }], products: undefined, eventModel: undefined, transactionProducts: undefined, transactionTotal: undefined }, 'push'], // only the parts that matter: no element, no callback
      [undefined, undefined, 'other'], [undefined, undefined, 'other'], [undefined, undefined, 'other'],
    ]);
  });

  it('passes on an unreadable push (revoked Proxy, throwing trap) as other, so it is still counted', () => {
    const dl: unknown[] = [];
    const { calls } = bridge(dl);
    const p = Proxy.revocable({}, {});
    p.revoke();
    dl.push(p.proxy, new Proxy({}, { has() { throw new Error('trap'); }, getOwnPropertyDescriptor() { throw new Error('trap'); } }));
    expect(calls).toEqual([[undefined, undefined, 'other'], [undefined, undefined, 'other']]);
  });

  it('keeps push returning the array length and never throws into the page', () => {
    const dl: unknown[] = [];
    bridgeDataLayer(dl, () => {
      throw new Error('track failed');
    });
    expect(dl.push({ event: 'view_item', ecommerce: { items: [] } })).toBe(1);
    const hostile = Object.defineProperty({}, 'event', { get() { throw new Error('getter'); } });
    expect(dl.push(hostile)).toBe(2);
  });

  it('restores Array.prototype.push on unsubscribe and stops forwarding', () => {
    const dl: unknown[] = [];
    const { calls, stop } = bridge(dl);
    expect(Object.prototype.hasOwnProperty.call(dl, 'push')).toBe(true);
    stop();
    expect(Object.prototype.hasOwnProperty.call(dl, 'push')).toBe(false);
    expect(dl.push).toBe(Array.prototype.push);
    dl.push({ event: 'view_item', ecommerce: { items: [] } });
    expect(calls).toEqual([]);
  });

  it('keeps a page-defined push (e.g. GTM loaded first) and restores it exactly', () => {
    const seen: unknown[] = [];
    const dl: unknown[] = [];
    const gtmPush = function (this: unknown[], ...a: unknown[]): number {
      seen.push(...a);
      return Array.prototype.push.apply(this, a);
    };
    dl.push = gtmPush;
    const { calls, stop } = bridge(dl);
    expect(dl.push({ event: 'view_item', ecommerce: { items: [] } })).toBe(1);
    expect(seen).toHaveLength(1);
    expect(calls).toHaveLength(1);
    stop();
    expect(dl.push).toBe(gtmPush);
  });

  it('shares one wrapper between observers; any unsubscribe order restores push', () => {
    const dl: unknown[] = [];
    const a: unknown[] = [];
    const b: unknown[] = [];
    const stopA = observePushes(dl, (e) => a.push(e));
    const stopB = observePushes(dl, (e) => b.push(e));
    dl.push(1);
    stopA();
    dl.push(2);
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
    stopB();
    expect(dl.push).toBe(Array.prototype.push);
  });

  it('leaves a later wrapper (GTM loading after Perch) in place and goes quiet', () => {
    const dl: unknown[] = [];
    const { calls, stop } = bridge(dl);
    const ours = dl.push;
    const late = function (this: unknown[], ...a: unknown[]): number {
      return (ours as (...x: unknown[]) => number).apply(this, a);
    };
    dl.push = late;
    dl.push({ event: 'purchase', ecommerce: { items: [{ item_id: 'A' }] } });
    expect(calls).toHaveLength(1);
    stop();
    expect(dl.push).toBe(late);
    expect(dl.push({ event: 'purchase', ecommerce: {} })).toBe(2);
    expect(calls).toHaveLength(1);
  });

  it('an observer that pushes during replay does not loop', () => {
    const dl: unknown[] = [{ event: 'view_item', ecommerce: { items: [] } }];
    let n = 0;
    bridgeDataLayer(dl, () => {
      n++;
      if (n < 100) dl.push({ event: 'view_item', ecommerce: { items: [] } });
    });
    expect(n).toBe(100);
  });

  it('survives frozen arrays, revoked Proxies and non-arrays', () => {
    const frozen = Object.freeze([{ event: 'view_item', ecommerce: {} }]) as unknown[];
    const { calls, stop } = bridge(frozen);
    expect(calls).toHaveLength(1);
    expect(() => stop()).not.toThrow();
    const p = Proxy.revocable([] as unknown[], {});
    p.revoke();
    expect(() => bridge(p.proxy).stop()).not.toThrow();
    expect(() => bridge({ length: 0 } as unknown as unknown[]).stop()).not.toThrow();
  });
});
