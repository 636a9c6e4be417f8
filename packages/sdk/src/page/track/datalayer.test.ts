import { describe, expect, it } from 'vitest';
import { bridgeDataLayer, observePushes } from './datalayer.js';

type Call = [string, unknown];

function gtagArgs(...a: unknown[]): IArguments {
  // gtag pushes its real `arguments` object: array-like, not an array.
  return (function (..._: unknown[]) {
    // eslint-disable-next-line prefer-rest-params
    return arguments;
  })(...a);
}

function bridge(dl: unknown[]): { calls: Call[]; stop: () => void } {
  const calls: Call[] = [];
  const stop = bridgeDataLayer(dl, (n, p) => calls.push([n, p]));
  return { calls, stop };
}

describe('bridgeDataLayer', () => {
  it('forwards existing and later GA4 e-commerce pushes with the ecommerce object', () => {
    const early = { items: [{ item_id: 'A' }] };
    const dl: unknown[] = [{ event: 'gtm.js' }, { ecommerce: null }, { event: 'view_item', ecommerce: early }];
    const { calls } = bridge(dl);
    expect(calls).toEqual([['view_item', early]]);
    const later = { item_list_id: 'home', items: [{ item_id: 'B' }] };
    dl.push({ ecommerce: null }, { event: 'view_item_list', ecommerce: later });
    expect(calls).toEqual([['view_item', early], ['view_item_list', later]]);
    expect(dl).toHaveLength(5);
  });

  it('forwards gtag("event", name, params) pushed as an arguments object', () => {
    const dl: unknown[] = [];
    const { calls } = bridge(dl);
    const params = { items: [{ item_id: 'C' }] };
    dl.push(gtagArgs('event', 'add_to_cart', params));
    dl.push(gtagArgs('event', 'page_view', { page_title: 'x' }));
    dl.push(gtagArgs('config', 'G-XXXX'));
    expect(calls).toEqual([['add_to_cart', params]]);
  });

  it('ignores non-e-commerce pushes and non-GA4 names', () => {
    const dl: unknown[] = [];
    const { calls } = bridge(dl);
    dl.push({ event: 'productClick', ecommerce: { click: { products: [] } } });
    dl.push({ event: 'view_item' });
    dl.push({ event: 'constructor', ecommerce: {} });
    dl.push('junk', 42, null, undefined, ['consent', 'update', {}]);
    expect(calls).toEqual([]);
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
