import { describe, expect, it } from 'vitest';
import { clipByL2, l2Norm } from './clip.js';
import { addGaussianNoise } from './noise.js';
import { dequantizeInt8, quantizeInt8Stochastic } from './quantize.js';
import { cryptoRng, gaussian, randomKeyHex } from '../privacy/rng.js';
import { flattenShared, makeLayout, unflatten } from '../update/layout.js';
import { SHARED_DENSE_WEIGHTS, weightShapes } from '@perch/model/spec';
import { Rng } from '@perch/model/rng';

const randomVec = (n: number, seed: number, scale = 1): Float32Array => {
  const g = gaussian(new Rng(seed));
  return Float32Array.from({ length: n }, () => scale * g());
};

describe('clipByL2', () => {
  it('bounds the norm by C and keeps the direction', () => {
    for (const seed of [1, 2, 3]) {
      const v = randomVec(5000, seed, 3);
      const c = clipByL2(v, 1.5);
      expect(l2Norm(c)).toBeLessThanOrEqual(1.5);
      expect(l2Norm(c)).toBeGreaterThan(1.5 * (1 - 1e-6));
      const cos = v.reduce((s, x, i) => s + x * c[i]!, 0) / (l2Norm(v) * l2Norm(c));
      expect(cos).toBeCloseTo(1, 6);
    }
  });
  it('leaves small deltas untouched and does not mutate its input', () => {
    const v = Float32Array.from([0.1, -0.2, 0.3]);
    const c = clipByL2(v, 10);
    expect(Array.from(c)).toEqual(Array.from(v));
    expect(c).not.toBe(v);
  });
  it('refuses non-finite input and bad bounds', () => {
    expect(() => clipByL2(Float32Array.from([NaN]), 1)).toThrow();
    expect(() => clipByL2(Float32Array.from([1]), 0)).toThrow();
  });
});

describe('addGaussianNoise', () => {
  it('adds zero-mean noise with standard deviation sigma', () => {
    const n = 200_000, sigma = 0.7;
    const out = addGaussianNoise(new Float32Array(n), sigma, new Rng(11));
    const mean = out.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(out.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean)).toBeLessThan(5 * sigma / Math.sqrt(n));
    expect(Math.abs(sd / sigma - 1)).toBeLessThan(0.01);
  });
  it('works with the crypto RNG and is not deterministic there', () => {
    const a = addGaussianNoise(new Float32Array(16), 1, cryptoRng());
    const b = addGaussianNoise(new Float32Array(16), 1, cryptoRng());
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });
  it('is reproducible with a seeded RNG', () => {
    expect(addGaussianNoise(new Float32Array(8), 1, new Rng(5))).toEqual(addGaussianNoise(new Float32Array(8), 1, new Rng(5)));
  });
});

describe('quantizeInt8Stochastic', () => {
  it('is unbiased: the mean of many dequantised draws converges to the input', () => {
    const x = Float32Array.from([0.0123, -0.5, 0.99, 0.333, -0.0001, 1]);
    const rng = new Rng(7), trials = 20_000;
    const sum = new Float64Array(x.length);
    for (let t = 0; t < trials; t++) dequantizeInt8(quantizeInt8Stochastic(x, rng)).forEach((v, i) => { sum[i]! += v; });
    const scale = 1 / 127;
    x.forEach((v, i) => expect(Math.abs(sum[i]! / trials - v)).toBeLessThan(4 * (scale / 2) / Math.sqrt(trials)));
  });
  it('errs by less than one step per value, with one scale per segment', () => {
    const x = Float32Array.from([...randomVec(100, 1, 0.01), ...randomVec(100, 2, 10)]);
    const qz = quantizeInt8Stochastic(x, new Rng(2), [0, 100]);
    expect(qz.scales.length).toBe(2);
    const y = dequantizeInt8(qz, [0, 100]);
    x.forEach((v, i) => expect(Math.abs(y[i]! - v)).toBeLessThanOrEqual(qz.scales[i < 100 ? 0 : 1]! * 1.0001));
    expect(Math.max(...Array.from(qz.q, Math.abs))).toBeLessThanOrEqual(127);
  });
  it('maps an all-zero segment to scale 0', () => {
    const qz = quantizeInt8Stochastic(new Float32Array(4), new Rng(1));
    expect(qz.scales[0]).toBe(0);
    expect(Array.from(dequantizeInt8(qz))).toEqual([0, 0, 0, 0]);
  });
});

describe('flattenShared / unflatten', () => {
  const shapes = weightShapes({ numItems: 10, numAttrs: 3, numCategories: 4, dim: 8, hidden: 6 });
  const layout = makeLayout(shapes, SHARED_DENSE_WEIGHTS);
  it('round-trips the shared dense tensors in the fixed order and leaves out the embeddings', () => {
    const w: Record<string, Float32Array> = {};
    let k = 0;
    for (const [name, shape] of Object.entries(shapes)) w[name] = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => k++);
    const flat = flattenShared(w, layout);
    expect(flat.length).toBe(layout.size);
    expect(flat[0]).toBe(w.event_emb![0]);
    const back = unflatten(flat, layout);
    expect(Object.keys(back)).toEqual([...SHARED_DENSE_WEIGHTS]);
    for (const name of SHARED_DENSE_WEIGHTS) expect(back[name]).toEqual(w[name]);
  });
  it('hashes layouts stably and distinguishes shapes', () => {
    expect(layout.hash).toMatch(/^[0-9a-f]{8}$/);
    expect(makeLayout(shapes, SHARED_DENSE_WEIGHTS).hash).toBe(layout.hash);
    const other = makeLayout(weightShapes({ numItems: 10, numAttrs: 3, numCategories: 4, dim: 8, hidden: 7 }), SHARED_DENSE_WEIGHTS);
    expect(other.hash).not.toBe(layout.hash);
  });
  it('throws on a missing or mis-sized tensor', () => {
    expect(() => flattenShared({}, layout)).toThrow(/missing/);
  });
});

describe('randomKeyHex', () => {
  it('gives 32 hex chars, different each time', () => {
    const a = randomKeyHex(), b = randomKeyHex();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });
});
