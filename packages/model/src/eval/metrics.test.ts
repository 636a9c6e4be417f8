import { describe, expect, it } from 'vitest';
import { MetricAccumulator, rankOf } from './metrics.js';

describe('rankOf', () => {
  it('counts items scoring above the target, skipping row 0', () => {
    // rows 0..5; target row 3 scores 0.5; rows 1 and 4 score higher
    expect(rankOf([99, 0.9, 0.1, 0.5, 0.7, 0.2], 3)).toBe(2);
  });
  it('counts ties pessimistically', () => {
    expect(rankOf([0, 1, 1, 1, 1], 2)).toBe(3);
  });
  it('skips excluded rows (history) but never the target', () => {
    const ex = new Int32Array(6);
    ex[1] = 7; ex[3] = 7; // row 3 is the target and in the history: still ranked
    expect(rankOf([0, 0.9, 0.1, 0.5, 0.7, 0.2], 3, ex, 7)).toBe(1);
    expect(rankOf([0, 0.9, 0.1, 0.5, 0.7, 0.2], 3, ex, 8)).toBe(2);
  });
  it('gives a NaN target the worst rank', () => {
    expect(rankOf([0, 1, NaN, 0], 2)).toBe(4);
  });
});

describe('MetricAccumulator', () => {
  it('matches hand-computed HR, NDCG and MRR', () => {
    const acc = new MetricAccumulator();
    for (const r of [0, 3, 12, 40]) acc.add(r);
    const m = acc.result();
    expect(m['HR@5']).toBeCloseTo(2 / 4, 12);
    expect(m['HR@10']).toBeCloseTo(2 / 4, 12);
    expect(m['HR@20']).toBeCloseTo(3 / 4, 12);
    expect(m['NDCG@5']).toBeCloseTo((1 + 1 / Math.log2(5)) / 4, 12);
    expect(m['NDCG@10']).toBeCloseTo((1 + 1 / Math.log2(5)) / 4, 12);
    expect(m['NDCG@20']).toBeCloseTo((1 + 1 / Math.log2(5) + 1 / Math.log2(14)) / 4, 12);
    expect(m['MRR@20']).toBeCloseTo((1 + 1 / 4 + 1 / 13) / 4, 12);
  });
  it('is all zeros when empty', () => {
    expect(Object.values(new MetricAccumulator().result()).every((v) => v === 0)).toBe(true);
  });
});
