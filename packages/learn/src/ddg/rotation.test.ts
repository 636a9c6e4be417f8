import { describe, expect, it } from 'vitest';
import { Rng } from '@perch/model/rng';
import { blockHadamard, rotate, rotationLayout, unrotate } from './rotation.js';

const norm = (v: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!; return Math.sqrt(s); };
const maxAbs = (v: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!)); return m; };

describe('block layout', () => {
  it('pads d = 34,000 by 2.4 % (not to 65,536), fitting 64 KB at 15 bits, and keeps blockSize ≥ blocks', () => {
    const l = rotationLayout(34000);
    expect(l).toEqual({ dim: 34000, blockSize: 2048, blocks: 17, padded: 34816 });
    expect(Math.ceil(l.padded * 15 / 8)).toBeLessThanOrEqual(65536);
    for (const d of [1, 2, 3, 17, 1000, 4096, 34000, 100000]) {
      const x = rotationLayout(d);
      expect(x.padded).toBeGreaterThanOrEqual(d);
      expect(x.padded - d).toBeLessThan(x.blockSize);
      expect(x.padded - d).toBeLessThanOrEqual(Math.max(2 * Math.sqrt(d), d / 32));
      expect(x.blockSize).toBeGreaterThanOrEqual(x.blocks);
    }
    expect(rotationLayout(34000, 256).padded).toBe(34048);
    expect(() => rotationLayout(100, 12)).toThrow(RangeError);
  });

  it('the block Hadamard transform is orthogonal and its own inverse', () => {
    const rng = new Rng(1);
    const v = Float64Array.from({ length: 64 }, () => rng.normal());
    const w = Float64Array.from(v);
    blockHadamard(w, 16);
    expect(norm(w)).toBeCloseTo(norm(v), 10);
    blockHadamard(w, 16);
    w.forEach((x, i) => expect(x).toBeCloseTo(v[i]!, 12));
  });
});

describe('randomised rotation', () => {
  const layout = rotationLayout(34000);

  it('is inverted exactly (to rounding) and preserves the L2 norm', () => {
    const rng = new Rng(2);
    const x = Float64Array.from({ length: layout.dim }, () => rng.normal());
    const y = rotate(x, 12345, layout);
    expect(y.length).toBe(layout.padded);
    expect(Math.abs(norm(y) / norm(x) - 1)).toBeLessThan(1e-12);
    const back = unrotate(y, 12345, layout);
    let err = 0; back.forEach((v, i) => { err = Math.max(err, Math.abs(v - x[i]!)); });
    expect(err).toBeLessThan(1e-12);
  });

  it('is deterministic in the seed and differs across seeds', () => {
    const x = Float64Array.from({ length: layout.dim }, (_, i) => Math.sin(i));
    expect(Array.from(rotate(x, 7, layout).slice(0, 50))).toEqual(Array.from(rotate(x, 7, layout).slice(0, 50)));
    expect(Array.from(rotate(x, 8, layout).slice(0, 50))).not.toEqual(Array.from(rotate(x, 7, layout).slice(0, 50)));
  });

  it('flattens spiky vectors close to a full-length randomised Hadamard (ρ ≈ 1)', () => {
    // A one-hot vector, a vector on one block, and a heavy-tailed one: the worst cases for a block layout.
    const n = layout.padded;
    const oneHot = new Float64Array(layout.dim); oneHot[777] = 1;
    const oneBlock = new Float64Array(layout.dim); for (let i = 0; i < 2048; i++) oneBlock[i] = 1;
    const rng = new Rng(3);
    const heavy = Float64Array.from({ length: layout.dim }, () => rng.normal() ** 5);
    for (const x of [oneHot, oneBlock, heavy]) {
      const nx = norm(x);
      for (const seed of [1, 2, 3, 4, 5]) {
        const y = rotate(x, seed, layout);
        // Sub-Gaussian union bound with proxy ρ‖x‖²/n, ρ = 1.5, failure probability 1/20 per vector.
        expect(maxAbs(y)).toBeLessThan(Math.sqrt(2 * 1.5 * Math.log(2 * n * 20)) * nx / Math.sqrt(n));
        // Fourth moment: n²·mean(y⁴)/‖x‖⁴ is 3 for Gaussian-flat coordinates; one pass alone leaves a one-hot
        // vector on a single block, where it is n/2048 = 17.
        let m4 = 0; y.forEach((v) => { m4 += v ** 4; });
        expect(n * m4 / nx ** 4).toBeLessThan(4.5);
      }
    }
  });

  it('rejects mismatched lengths and bad seeds', () => {
    expect(() => rotate(new Float64Array(10), 1, layout)).toThrow(RangeError);
    expect(() => unrotate(new Float64Array(10), 1, layout)).toThrow(RangeError);
    expect(() => rotate(new Float64Array(layout.dim), -1, layout)).toThrow(RangeError);
  });
});
