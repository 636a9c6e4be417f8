import { describe, expect, it } from 'vitest';
import type { EvalCase } from '@perch/model/data';
import { coldTargets, hitRateByTarget } from '../../src/simulate/coverage.js';

const cases = (targets: number[]): EvalCase[] => targets.map((target) => ({ seq: { items: [1, target], kinds: [0, 0], gaps: [0, 0] } as unknown as EvalCase['seq'], prefixLen: 1, target }));

describe('coldTargets / hitRateByTarget', () => {
  it('marks the cases whose target never occurs in the pretraining counts (row beyond the counts too)', () => {
    const counts = [0, 5, 0, 1]; // item 2 unseen; item 4 is past the counts
    expect([...coldTargets(cases([1, 2, 3, 4, 2]), counts)]).toEqual([0, 1, 0, 1, 1]);
  });
  it('gives HR@k on each group separately', () => {
    const cold = Uint8Array.from([0, 0, 0, 0, 1, 1]);
    const ranks = [0, 19, 20, 50, 3, 40]; // seen: 2 hits of 4; unseen: 1 of 2
    expect(hitRateByTarget(ranks, cold)).toEqual({ seen: 0.5, unseen: 0.5 });
    expect(hitRateByTarget(ranks, cold, 10)).toEqual({ seen: 0.25, unseen: 0.5 });
    expect(hitRateByTarget([0, 1], Uint8Array.from([0, 0])).unseen).toBeNaN(); // empty group: NaN, not 0
    expect(() => hitRateByTarget([0], cold)).toThrow(/1 ranks for 6 cases/);
  });
});
