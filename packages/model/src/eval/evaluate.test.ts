import { describe, expect, it } from 'vitest';
import type { EvalCase } from '../data/split.js';
import { evaluate, isRepeat, MISS, repeatShare, type Scorer } from './evaluate.js';
import { meanInterval, tQuantile975 } from './interval.js';

const seq = (items: number[]) => ({ key: 'u', items: Int32Array.from(items), kinds: new Uint8Array(items.length), gaps: new Uint8Array(items.length) });
/** Scores item i as i (row 5 best): the ranking is fixed, so every rank below is known by hand. */
const byId: Scorer = { name: 'id', scoreBatch(cases, out) { cases.forEach((_, b) => { for (let i = 0; i <= 5; i++) out[b * 6 + i] = i; }); } };

describe('evaluate: history and repeat targets', () => {
  it('excludes history items from the ranking', () => {
    // target 3; items 4 and 5 score higher; 5 is in the history, so only 4 ranks above: rank 1
    const c: EvalCase = { seq: seq([5, 1, 3]), prefixLen: 2, target: 3 };
    expect(evaluate(byId, [c], 5)['HR@5']).toBe(1);
    expect(evaluate(byId, [c], 5)['MRR@20']).toBeCloseTo(1 / 2, 12);
  });
  it('counts a target already in the history as a miss, even when it scores best', () => {
    // target 5 scores highest of all, but the user had it: with the history excluded it cannot be recommended
    const rep: EvalCase = { seq: seq([5, 1, 5]), prefixLen: 2, target: 5 };
    expect(isRepeat(rep)).toBe(true);
    const m = evaluate(byId, [rep], 5);
    expect(m['HR@20']).toBe(0);
    expect(m['MRR@20']).toBe(0);
    const ranks = new Int32Array(1);
    evaluate(byId, [rep], 5, 64, undefined, ranks);
    expect(ranks[0]).toBe(MISS);
  });
  it('keeps repeat cases in the denominator and reports their share', () => {
    const fresh: EvalCase = { seq: seq([1, 2, 5]), prefixLen: 2, target: 5 };
    const rep: EvalCase = { seq: seq([5, 2, 5]), prefixLen: 2, target: 5 };
    expect(isRepeat(fresh)).toBe(false);
    expect(evaluate(byId, [fresh, rep], 5)['HR@5']).toBe(0.5);
    expect(repeatShare([fresh, rep, rep, fresh])).toBe(0.5);
    expect(repeatShare([])).toBe(0);
  });
  it('looks only at the prefix: a later occurrence of the target is not history', () => {
    const c: EvalCase = { seq: seq([1, 2, 5, 5]), prefixLen: 2, target: 5 };
    expect(isRepeat(c)).toBe(false);
    expect(evaluate(byId, [c], 5)['HR@5']).toBe(1);
  });
});

describe('meanInterval', () => {
  it('matches a hand-computed t-interval for three seeds', () => {
    const r = meanInterval([0.1, 0.12, 0.11]);
    expect(r.mean).toBeCloseTo(0.11, 12);
    expect(r.sd).toBeCloseTo(0.01, 12);
    expect(r.half).toBeCloseTo((4.3027 * 0.01) / Math.sqrt(3), 10);
    expect(r.lo).toBeCloseTo(r.mean - r.half, 12);
  });
  it('has no width for one value and refuses none or NaN', () => {
    expect(meanInterval([0.2])).toMatchObject({ mean: 0.2, half: 0, n: 1 });
    expect(() => meanInterval([])).toThrow(/no values/);
    expect(() => meanInterval([0.1, NaN])).toThrow(/non-finite/);
  });
  it('uses t quantiles that approach the normal one', () => {
    expect(tQuantile975(2)).toBeCloseTo(4.3027, 4);
    expect(tQuantile975(30)).toBeCloseTo(2.0423, 4);
    expect(tQuantile975(40)).toBeCloseTo(2.0211, 3);
    expect(tQuantile975(1000)).toBeCloseTo(1.9623, 3);
    expect(() => tQuantile975(0)).toThrow(RangeError);
  });
});
