// End-to-end rounds of 20 simulated devices: the unmasked sum is the plain modular sum over the survivors, bit for
// bit, with and without dropouts at every step, across save-and-resume; and the round refuses below threshold.
import { describe, expect, it } from 'vitest';
import { SecAggDevice } from './device.js';
import { requestOf, SecAggServer } from './server.js';
import { runRound, testVector, type RoundSpec } from './testing.js';

const base = (over: Partial<RoundSpec> = {}): RoundSpec => ({
  n: 20, d: 1000, bits: 16,
  server: { minCohort: 10, k: 10, t: 4 },
  policy: { minCohort: 10, minDegree: 10, minThreshold: 4 },
  ...over,
});

const pick = (count: number, from: number) => Array.from({ length: count }, (_, i) => (from + 3 * i) % 20);

describe('SecAgg+ rounds', () => {
  it('sums 20 vectors (d = 1000, 16 bits) exactly', async () => {
    const run = await runRound(base());
    expect(run.refusals).toEqual([]);
    expect(run.result?.survivors).toEqual(run.ids);
    expect(Array.from(run.result!.sum)).toEqual(Array.from(run.expected(run.ids)));
    // a sum that ignored the masks would not match; this checks that the vectors were masked at all
    expect(run.masked[run.ids[0]!]!.y).not.toEqual(run.masked[run.ids[1]!]!.y);
  });

  it('stays exact with 30 % of devices dropping after masking (masked input sent, no unmasking reply)', async () => {
    const run = await runRound(base({ drop: { unmask: pick(6, 1) } }));
    expect(run.failure).toBeUndefined();
    expect(Array.from(run.result!.sum)).toEqual(Array.from(run.expected(run.ids)));
  });

  it('stays exact with 30 % of devices dropping during masking (no masked input): the sum is over the survivors', async () => {
    const dropped = pick(6, 2);
    const run = await runRound(base({ drop: { mask: dropped } }));
    expect(run.failure).toBeUndefined();
    const survivors = run.ids.filter((_, i) => !dropped.includes(i));
    expect(run.result!.survivors).toEqual(survivors);
    expect(Array.from(run.result!.sum)).toEqual(Array.from(run.expected(survivors)));
  });

  it('stays exact with dropouts before masking (after advertising keys and after sharing them)', async () => {
    const run = await runRound(base({ drop: { advertise: [3], share: [7, 11], mask: [15], unmask: [0] } }));
    expect(run.failure).toBeUndefined();
    const survivors = run.ids.filter((_, i) => ![3, 7, 11, 15].includes(i));
    expect(run.result!.survivors).toEqual(survivors);
    expect(Array.from(run.result!.sum)).toEqual(Array.from(run.expected(survivors)));
  });

  it('serialises and resumes both machines between every step and still sums exactly', async () => {
    const run = await runRound(base({ persist: true, drop: { share: [5], mask: [9], unmask: [2] } }));
    expect(run.failure).toBeUndefined();
    const survivors = run.ids.filter((_, i) => ![5, 9].includes(i));
    expect(Array.from(run.result!.sum)).toEqual(Array.from(run.expected(survivors)));
  });

  it('works with 32-bit values and with the complete graph (k = n − 1)', async () => {
    const run = await runRound(base({ n: 8, d: 64, bits: 32, server: { minCohort: 5, k: 254, t: 3 }, policy: { minCohort: 5, minDegree: 7, minThreshold: 3 }, drop: { mask: [1], unmask: [4] } }));
    expect(run.failure).toBeUndefined();
    const survivors = run.ids.filter((_, i) => i !== 1);
    expect(Array.from(run.result!.sum)).toEqual(Array.from(run.expected(survivors)));
  });

  it('works at 15 bits (masks accumulated mod 2^16, reduced once) with dropouts', async () => {
    const run = await runRound(base({ bits: 15, drop: { mask: [2, 9], unmask: [4] } }));
    expect(run.failure).toBeUndefined();
    const survivors = run.ids.filter((_, i) => i !== 2 && i !== 9);
    expect(Array.from(run.result!.sum)).toEqual(Array.from(run.expected(survivors)));
  });

  it('refuses to unmask when fewer than t shares of a secret arrive', async () => {
    // k = 10, t = 8: with 6 devices silent in unmasking, some device keeps fewer than 8 answering neighbours
    const run = await runRound(base({ server: { minCohort: 10, k: 10, t: 8 }, policy: { minCohort: 10, minDegree: 10, minThreshold: 8 }, drop: { unmask: pick(6, 0) } }));
    expect(run.result).toBeUndefined();
    expect(run.failure).toMatch(/^below-threshold/);
  });

  it('refuses to proceed when the cohort falls below the minimum', async () => {
    const run = await runRound(base({ drop: { mask: pick(11, 0) } }));
    expect(run.result).toBeUndefined();
    expect(run.failure).toBe('cohort-too-small');
  });

  it('requestOf rebuilds, from a saved state, exactly the request each close sent, and nothing for a device outside the set', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `d${i}`);
    const server = SecAggServer.open({ roundId: 'req', bits: 16, d: 16, minCohort: 4, k: 4, t: 2 });
    const devs = ids.map((id) => SecAggDevice.create(id, { minCohort: 4, minDegree: 4, minThreshold: 2 }));
    for (const dv of devs) {
      const r = await dv.advertiseKeys(server.advertiseRequest()); if (!r.ok) throw new Error(r.reason);
      await server.receive(r.message);
    }
    const sk = await server.closeAdvertise(); if (!sk.ok) throw new Error(sk.reason);
    for (const id of ids) expect(requestOf(server.toJSON(), 'share-keys', id)).toEqual(sk.message[id]);
    for (const [i, dv] of devs.entries()) {
      if (i === 7) continue; // never shares keys: outside U2
      const r = await dv.shareKeys(sk.message[ids[i]!]!); if (!r.ok) throw new Error(r.reason);
      await server.receive(r.message);
    }
    const mk = server.closeShareKeys(); if (!mk.ok) throw new Error(mk.reason);
    expect(requestOf(server.toJSON(), 'masked-input', 'd7')).toBeUndefined();
    for (const id of ids.slice(0, 7)) expect(requestOf(server.toJSON(), 'masked-input', id)).toEqual(mk.message[id]);
    for (const [i, dv] of devs.slice(0, 6).entries()) {
      const r = await dv.maskedInput(mk.message[ids[i]!]!, testVector(16, 16, i + 1)); if (!r.ok) throw new Error(r.reason);
      await server.receive(r.message);
    }
    const um = server.closeMaskedInput(); if (!um.ok) throw new Error(um.reason);
    expect(requestOf(server.toJSON(), 'unmasking', 'd6')).toBeUndefined();
    for (const id of ids.slice(0, 6)) expect(requestOf(server.toJSON(), 'unmasking', id)).toEqual(um.message[id]);
    // The earlier steps' requests stay derivable after later closes (a device re-sending an old step gets its answer).
    expect(requestOf(server.toJSON(), 'share-keys', 'd0')).toEqual(sk.message.d0);
  });
});

