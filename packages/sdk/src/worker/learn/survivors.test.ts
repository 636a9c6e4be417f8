// The device's check of the survivor set a secure-aggregation round published (survivors.ts): the digest is the
// aggregator's (SHA-256 of JSON.stringify of the sorted ids, round-service.ts), a matching version passes, another
// count or hash, or none, is a mismatch that distrusts the aggregator, a version of another round means the round
// published nothing, and a version that cannot be had or verified yet leaves the check for a later poll.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { distrustOf, expectSurvivors, MAX_SURVIVOR_CHECKS, runSurvivorChecks, survivorsDigest, survivorsVerdict, type SurvivorsExpected, type SurvivorsState } from './survivors.js';

const AGG = 'https://agg.test', OTHER = 'https://other.test';
const U3 = ['Aq3', 'bX_', 'c-9', 'zz1'];
const aggregatorHash = (ids: string[]): string => createHash('sha256').update(JSON.stringify(ids)).digest('hex');

/** The provenance an aggregator writes into a version's manifest (publish.ts, round-service.ts). */
const provenance = (round: number, survivors: string[] | null) => ({
  federated: { parent: 3, round, clients: survivors?.length ?? 4, rule: 'fedavg', ...(survivors ? { secagg: { protocol: 'secagg+', survivors: survivors.length, survivorsSha256: aggregatorHash(survivors), participants: 6, cohort: 5 } } : {}) },
});

async function expected(round = 9, baseVersion = 3, ids = U3, aggregator = AGG): Promise<SurvivorsExpected> {
  return { aggregator, round, baseVersion, ...(await survivorsDigest(ids)) };
}

describe('survivorsDigest and survivorsVerdict', () => {
  it('hashes the list as the aggregator does, and compares a published version with it', async () => {
    const e = await expected();
    expect(e).toMatchObject({ survivors: 4, sha256: aggregatorHash(U3) });
    expect(survivorsVerdict(e, provenance(9, U3), '4')).toEqual({ kind: 'match' });
    expect(survivorsVerdict(e, provenance(10, ['x']), '4')).toEqual({ kind: 'other-round', round: 10 });
    const swapped = [...U3.slice(0, 3), 'zz2'];
    const m = survivorsVerdict(e, provenance(9, swapped), '4');
    expect(m).toMatchObject({ kind: 'mismatch' });
    expect((m as { reason: string }).reason).toMatch(/^version 4, published from round 9, was summed over 4 survivors \(SHA-256 [0-9a-f]{16}…\), not the 4 this device was asked to unmask for/);
    expect(survivorsVerdict(e, provenance(9, U3.slice(1)), '4')).toMatchObject({ kind: 'mismatch' });
    expect(survivorsVerdict(e, provenance(9, null), '4')).toMatchObject({ kind: 'mismatch', reason: expect.stringMatching(/states no survivor set/) });
    // The same count with a hash that is not a string, or a count that is not a number, is no survivor set either.
    expect(survivorsVerdict(e, { federated: { round: 9, secagg: { survivors: '4', survivorsSha256: aggregatorHash(U3) } } }, '4')).toMatchObject({ kind: 'mismatch' });
    expect(survivorsVerdict(e, 'garbage', '4')).toMatchObject({ kind: 'other-round' });
  });
});

describe('runSurvivorChecks', () => {
  it('waits for a later base version, then passes a match and forgets the check', async () => {
    const st: SurvivorsState = {};
    expectSurvivors(st, await expected());
    const asked: number[] = [];
    const manifest = async (v: number) => { asked.push(v); return { hyperParameters: provenance(9, U3), modelVersion: String(v) }; };
    expect(await runSurvivorChecks(st, AGG, 3, manifest)).toEqual([]);
    expect(asked).toEqual([]); // the round's own base: nothing published yet
    expect(st.survivorChecks).toHaveLength(1);
    expect(await runSurvivorChecks(st, AGG, 6, manifest)).toEqual([]);
    expect(asked).toEqual([4]); // the version after the round's base, whatever the latest is
    expect(st.survivorChecks).toEqual([]);
    expect(distrustOf(st, AGG)).toBeNull();
  });

  it('on a mismatch records it and distrusts that aggregator only; another aggregator\'s checks wait for their own', async () => {
    const st: SurvivorsState = {};
    expectSurvivors(st, await expected(9, 3));
    expectSurvivors(st, await expected(2, 1, U3, OTHER));
    const lying = async (v: number) => ({ hyperParameters: provenance(9, ['Aq3', 'bX_', 'c-9', 'evil']), modelVersion: String(v) });
    const found = await runSurvivorChecks(st, AGG, 4, lying);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ aggregator: AGG, round: 9, reason: expect.stringMatching(/^version 4, published from round 9, was summed over 4 survivors/) });
    expect(distrustOf(st, AGG)).toEqual(found[0]);
    expect(distrustOf(st, OTHER)).toBeNull();
    expect(st.survivorChecks!.map((c) => c.aggregator)).toEqual([OTHER]);
  });

  it('keeps a check whose version cannot be fetched or verified yet; forgets one whose round published nothing', async () => {
    const st: SurvivorsState = {};
    expectSurvivors(st, await expected(9, 3));
    expect(await runSurvivorChecks(st, AGG, 4, async () => { throw new Error('model version 4 refused: fork'); })).toEqual([]);
    expect(st.survivorChecks).toHaveLength(1);
    expect(await runSurvivorChecks(st, AGG, 4, async (v) => ({ hyperParameters: provenance(10, ['q']), modelVersion: String(v) }))).toEqual([]);
    expect(st.survivorChecks).toEqual([]);
    expect(distrustOf(st, AGG)).toBeNull();
  });

  it('keeps one check per round and the newest ones only', async () => {
    const st: SurvivorsState = {};
    expectSurvivors(st, await expected(9, 3));
    expectSurvivors(st, await expected(9, 3, ['x', 'y', 'z']));
    expect(st.survivorChecks).toHaveLength(1);
    expect(st.survivorChecks![0]!.survivors).toBe(3);
    for (let r = 10; r < 10 + MAX_SURVIVOR_CHECKS; r++) expectSurvivors(st, await expected(r, r));
    expect(st.survivorChecks).toHaveLength(MAX_SURVIVOR_CHECKS);
    expect(st.survivorChecks![0]!.round).toBe(10);
  });
});
