import { expose, releaseProxy, wrap } from 'comlink';
import { describe, expect, it } from 'vitest';
import { settleOnStop } from './worker-link.js';

describe('settleOnStop', () => {
  it('passes answers through, and rejects calls left unanswered once the worker is stopped', async () => {
    const remote = {
      answered: async (x: number) => x + 1,
      never: () => new Promise<number>(() => undefined),
      value: 7,
    };
    const { api, stopped } = settleOnStop(remote);
    expect(await api.answered(1)).toBe(2);
    expect(api.value).toBe(7);
    const pending = api.never();
    stopped();
    await expect(pending).rejects.toThrow('worker stopped');
    await expect(api.never()).rejects.toThrow('worker stopped'); // a call after the stop settles too
  });

  it('after the stop, a released comlink proxy is never touched: calls and property reads do not throw, calls reject', async () => {
    const { port1, port2 } = new MessageChannel();
    expose({ flush: async () => 'ok' }, port2);
    const remote = wrap<{ flush(): Promise<string>; loadModel?: () => Promise<void> }>(port1);
    const { api, stopped } = settleOnStop(remote);
    expect(await api.flush()).toBe('ok');
    stopped();
    remote[releaseProxy]();
    expect(() => remote.flush).toThrow(/released/); // what comlink itself does, and what used to reach the page
    let thrown: unknown = null;
    let call: Promise<unknown> | null = null;
    try {
      call = api.flush().then(() => 'answered', (e: Error) => e.message);
      if (!api.loadModel) throw new Error('property read answered falsy');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeNull();
    expect(await call).toBe('worker stopped');
    port1.close();
    port2.close();
  });
});
