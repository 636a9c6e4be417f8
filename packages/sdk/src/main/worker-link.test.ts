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
});
