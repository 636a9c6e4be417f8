/**
 * The robust reconstruction pass (`robustShares`): when wrong shares (right length and x-coordinate, wrong values)
 * sit among the first t a secret's reconstruction takes, and leaving one sender out is not enough, the pass finds
 * t good shares from its seeded shuffles, the round's sum comes out exact, and the same seed gives the same result.
 */
import { describe, expect, it } from 'vitest';
import { fromB64, SecAggDevice, SecAggServer, toB64, type Unmask } from '@perch/learn/secagg';
import { testVector } from '@perch/learn/secagg/testing';
import { robustShares } from '../src/secagg/service.js';

const d = 64, bits = 15, k = 8, t = 3;
const ids = Array.from({ length: 12 }, (_, i) => `device-${String(i).padStart(2, '0')}`);

/** A round up to its closed unmasking stage; the two lowest-sorted senders send forged shares for every owner. */
async function roundWithForgers() {
  const server = SecAggServer.open({ roundId: 'robust', bits, d, minCohort: 6, k, t });
  const devs = ids.map((id) => SecAggDevice.create(id, { minCohort: 6, minDegree: k, minThreshold: t }));
  for (const dv of devs) {
    const r = await dv.advertiseKeys(server.advertiseRequest()); if (!r.ok) throw new Error(r.reason);
    expect((await server.receive(r.message)).ok).toBe(true);
  }
  const sk = await server.closeAdvertise(); if (!sk.ok) throw new Error(sk.reason);
  for (const [i, dv] of devs.entries()) {
    const r = await dv.shareKeys(sk.message[ids[i]!]!); if (!r.ok) throw new Error(r.reason);
    expect((await server.receive(r.message)).ok).toBe(true);
  }
  const mk = server.closeShareKeys(); if (!mk.ok) throw new Error(mk.reason);
  const xs = ids.map((_, i) => testVector(d, bits, i + 1));
  for (const [i, dv] of devs.entries()) {
    const r = await dv.maskedInput(mk.message[ids[i]!]!, xs[i]!); if (!r.ok) throw new Error(r.reason);
    if (i === 7) continue; // drops during masking: its neighbours' s-shares are needed too
    expect((await server.receive(r.message)).ok).toBe(true);
  }
  const um = server.closeMaskedInput(); if (!um.ok) throw new Error(um.reason);
  let forged = 0;
  for (const [id, req] of Object.entries(um.message)) {
    const r = await devs[ids.indexOf(id)]!.unmask(req); if (!r.ok) throw new Error(r.reason);
    let msg: Unmask = r.message;
    if (id === ids[0] || id === ids[1]) {
      msg = { ...msg, shares: msg.shares.map((e) => ({ ...e, share: toB64(Uint8Array.from([...Array.from({ length: fromB64(e.share)!.length - 1 }, (_, q) => q), fromB64(e.share)!.at(-1)!])) })) };
      forged += msg.shares.length;
    }
    expect((await server.receive(msg)).ok).toBe(true);
  }
  const want = new Uint32Array(d);
  xs.forEach((x, i) => { if (i !== 7) for (let j = 0; j < d; j++) want[j] = (want[j]! + x[j]!) % 2 ** bits; });
  return { server, want, forged };
}

describe('robustShares', () => {
  it('leaves out wrong shares that the first reconstruction took, from a seed, and the sum is exact', async () => {
    const { server, want, forged } = await roundWithForgers();
    expect(forged).toBeGreaterThan(0);
    const plain = SecAggServer.fromJSON(structuredClone(server.toJSON()));
    const first = await plain.finish();
    expect(first.ok ? 'ok' : first.reason).toBe('reconstruction-failed');

    const a = await robustShares(structuredClone(server.toJSON()), 12345);
    const b = await robustShares(structuredClone(server.toJSON()), 12345);
    expect(b).toEqual(a);
    expect(a.dropped).toBeGreaterThanOrEqual(forged);
    const fin = await SecAggServer.fromJSON(a.state).finish();
    if (!fin.ok) throw new Error(`${fin.reason}: ${fin.detail}`);
    expect(Array.from(fin.message.sum)).toEqual(Array.from(want));
    // No forged share is kept.
    for (const sender of [ids[0]!, ids[1]!]) expect(a.state.unmask[sender] ?? []).toEqual([]);
  }, 60_000);
});
