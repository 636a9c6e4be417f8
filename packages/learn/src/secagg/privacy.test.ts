// What the server sees of one device's vector is not the vector: the masked input is statistically uniform even
// when the vector is extreme, against the server alone (it learns b_u in unmasking but not the pairwise masks) and
// against the server with every other device's secrets (all pairwise masks) but not the shares of b_u.
import { describe, expect, it } from 'vitest';
import { decodeVector, fromB64 } from './bytes.js';
import { addInto, pairMask, selfMask } from './masking.js';
import { reconstructSecret } from './shamir.js';
import { runRound } from './testing.js';

const D = 4096, BITS = 16, BINS = 64;
// χ² critical value for 63 degrees of freedom at p = 10^-6 (Wilson–Hilferty), so a uniform vector fails it only by rare chance
const CHI2_CRIT = 131.8;

function chi2(v: Uint32Array): number {
  const counts = new Array<number>(BINS).fill(0);
  for (const x of v) counts[x >>> (BITS - 6)]!++;
  const e = v.length / BINS;
  return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
}

describe('the server view hides one device', () => {
  it('masked vector is uniform and unrelated to an extreme input, without and with all other devices colluding', async () => {
    // device 0 sends a constant vector: as far from uniform as an input gets
    const run = await runRound({
      n: 12, d: D, bits: BITS, server: { minCohort: 8, k: 6, t: 3 }, policy: { minCohort: 8, minDegree: 6, minThreshold: 3 },
      input: (i) => (i === 0 ? new Uint32Array(D).fill(4242) : new Uint32Array(D).fill(i)),
    });
    expect(run.failure).toBeUndefined();
    const u = run.ids[0]!, x = run.inputs[0]!;
    expect(chi2(x)).toBeGreaterThan(CHI2_CRIT * 10); // the statistic does see a non-uniform vector

    // 1. the server alone: y_u, and b_u rebuilt from the b-shares it received in unmasking
    const y = decodeVector(run.masked[u]!.y, D, BITS)!;
    expect(chi2(y)).toBeLessThan(CHI2_CRIT);
    const bShares = Object.values(run.unmaskReplies).flatMap((r) => r.shares.filter((s) => s.owner === u).map((s) => fromB64(s.share)!));
    const b = (await reconstructSecret(bShares, 3))!;
    const withoutB = y.slice();
    addInto(withoutB, await selfMask(b, 'round-1', D, BITS), -1, BITS);
    expect(chi2(withoutB)).toBeLessThan(CHI2_CRIT);
    expect(withoutB.filter((v, i) => v === x[i]).length).toBeLessThan(8); // ≈ D / 2^16 by chance

    // 2. the server with every other device's secret keys: it removes every pairwise mask of u
    const me = run.sharedStates[0]!;
    const withoutPairs = y.slice();
    for (const p of me.neighbours!) {
      const other = run.sharedStates[run.ids.indexOf(p.id)]!;
      const pm = await pairMask(fromB64(other.keys!.sSk)!, fromB64(me.keys!.sPk)!, p.id, u, 'round-1', D, BITS);
      addInto(withoutPairs, pm.mask, pm.sign, BITS); // undoes u's term (u applied −sign_v)
    }
    // what is left is x_u + PRG(b_u): still uniform, and exactly x_u once b_u is known (the attack was complete)
    expect(chi2(withoutPairs)).toBeLessThan(CHI2_CRIT);
    expect(withoutPairs.filter((v, i) => v === x[i]).length).toBeLessThan(8);
    addInto(withoutPairs, await selfMask(fromB64(me.b!)!, 'round-1', D, BITS), -1, BITS);
    expect(Array.from(withoutPairs)).toEqual(Array.from(x));
  });
});
