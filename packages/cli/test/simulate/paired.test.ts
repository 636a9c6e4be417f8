import { describe, expect, it } from 'vitest';
import { pairedDelta } from '../../src/simulate/paired.js';

describe('pairedDelta', () => {
  it('is exactly 0 with a zero-width interval for identical rankings', () => {
    const r = Int32Array.from({ length: 500 }, (_, i) => i % 40);
    const p = pairedDelta(r, r);
    expect(p.hr).toEqual({ delta: 0, lo: 0, hi: 0 });
    expect(p.ndcg).toEqual({ delta: 0, lo: 0, hi: 0 });
  });
  it('gives the exact mean difference, with an interval around it that excludes 0 for a consistent gain', () => {
    // 1,000 cases: b moves 100 targets from rank 30 (a miss) to rank 0 (a hit), and 20 the other way.
    const a = new Int32Array(1000).fill(50), b = new Int32Array(1000).fill(50);
    for (let i = 0; i < 100; i++) { a[i] = 30; b[i] = 0; }
    for (let i = 100; i < 120; i++) { a[i] = 0; b[i] = 30; }
    const p = pairedDelta(a, b, { resamples: 4000, seed: 3 });
    expect(p.hr.delta).toBeCloseTo(0.08, 12);
    expect(p.ndcg.delta).toBeCloseTo(0.08, 12); // rank 0 has gain 1
    expect(p.hr.lo).toBeGreaterThan(0.04);
    expect(p.hr.hi).toBeLessThan(0.12);
    expect(p.hr.lo).toBeLessThan(0.08);
    expect(p.hr.hi).toBeGreaterThan(0.08);
    // Swapping the models flips the sign.
    expect(pairedDelta(b, a).hr.delta).toBeCloseTo(-0.08, 12);
  });
  it('refuses rank lists of different or zero length', () => {
    expect(() => pairedDelta(new Int32Array(3), new Int32Array(4))).toThrow(RangeError);
    expect(() => pairedDelta([], [])).toThrow(RangeError);
  });
});
