import { describe, expect, it } from 'vitest';
import { asLeader } from './leader.js';

describe('asLeader', () => {
  it('does not run the work where the Web Locks API is missing (Node 20 has no navigator.locks)', async () => {
    expect((globalThis as { navigator?: { locks?: unknown } }).navigator?.locks).toBeUndefined();
    let ran = false;
    const out = await asLeader('perch', async () => { ran = true; });
    expect(ran).toBe(false);
    expect(out).toEqual({ ran: false, reason: 'no Web Locks API: not training' });
  });
});
