import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION, ageCutoff, excessCount, quotaPruneCount, resolveRetention } from './retention.js';
import { MAX_RECENT_REJECTIONS, addRejections, emptySummary, mergeSummaries } from './rejections.js';

describe('retention policy', () => {
  it('fills defaults (5,000 events, 90 days) and clamps hostile values', () => {
    expect(resolveRetention(undefined)).toEqual(DEFAULT_RETENTION);
    expect(resolveRetention({ maxEvents: 10.7, maxAgeDays: 0 })).toEqual({ maxEvents: 10, maxAgeDays: 1 });
    expect(resolveRetention({ maxEvents: Infinity, maxAgeDays: '3' })).toEqual(DEFAULT_RETENTION);
    expect(resolveRetention({ maxEvents: 1e12, maxAgeDays: 1e6 })).toEqual({ maxEvents: 100_000, maxAgeDays: 395 });
  });
  it('computes the age cutoff and the count excess', () => {
    expect(ageCutoff(100 * 86_400_000, { maxEvents: 1, maxAgeDays: 90 })).toBe(10 * 86_400_000);
    expect(excessCount(5_001, DEFAULT_RETENTION)).toBe(1);
    expect(excessCount(5_000, DEFAULT_RETENTION)).toBe(0);
  });
  it('prunes a tenth (at least the batch, at most everything) on quota errors', () => {
    expect(quotaPruneCount(1_000, 10)).toBe(100);
    expect(quotaPruneCount(1_000, 500)).toBe(500);
    expect(quotaPruneCount(3, 500)).toBe(3);
    expect(quotaPruneCount(0, 10)).toBe(0);
  });
});

describe('rejection summaries', () => {
  const rej = (code: 'unknown_event' | 'invalid_item', i: number) => ({ code, reason: `r${i}`, ts: i });
  it('counts every rejection but keeps only the newest ones', () => {
    const s = addRejections(emptySummary(), Array.from({ length: 250 }, (_, i) => rej(i % 2 ? 'invalid_item' : 'unknown_event', i)));
    expect(s.total).toBe(250);
    expect(s.byCode).toEqual({ unknown_event: 125, invalid_item: 125 });
    expect(s.recent).toHaveLength(MAX_RECENT_REJECTIONS);
    expect(s.recent[0]?.ts).toBe(150);
    expect(s.recent.at(-1)?.ts).toBe(249);
  });
  it('merges stored and unsent summaries', () => {
    const a = addRejections(emptySummary(), [rej('unknown_event', 1)]);
    const b = addRejections(emptySummary(), [rej('unknown_event', 2), rej('invalid_item', 3)]);
    expect(mergeSummaries(a, b)).toEqual({ total: 3, byCode: { unknown_event: 2, invalid_item: 1 }, recent: [rej('unknown_event', 1), rej('unknown_event', 2), rej('invalid_item', 3)] });
  });
});
