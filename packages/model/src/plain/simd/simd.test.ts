import { describe, expect, it } from 'vitest';
import { gradCandidates, gradQ, logits } from '../batch.js';
import { createSimdKernels, simdAvailable, type SimdKernels } from './index.js';

// Shapes (P, Cn, d): every remainder mod 4 and mod 8 of each size, the trainer's sizes and the extremes.
const SMALL: [number, number, number][] = [];
for (const P of [1, 2, 3, 4, 5, 7, 8, 9]) for (const Cn of [1, 3, 4, 6, 8, 9, 15, 17]) for (const d of [1, 3, 4, 5, 8, 11]) SMALL.push([P, Cn, d]);
const LARGE: [number, number, number][] = [
  [256, 1280, 64], [256, 1283, 64], [255, 1201, 64], [253, 1299, 32], [97, 211, 33], [64, 127, 128],
  [300, 3000, 32], [1, 3000, 128], [300, 1, 128], [299, 61, 7], [5, 2999, 65],
];

/** Deterministic values in [−1, 1) (LCG), a few exact zeros and some of larger magnitude. */
function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    a[i] = i % 37 === 5 ? 0 : i % 53 === 7 ? (u - 0.5) * 64 : u * 2 - 1;
  }
  return a;
}

const f = Math.fround;
// float32 references in the kernels' order: s ← fround(s + fround(a·b)) for r = 0.., then + bias. The
// product of two float32 is exact in float64, and float64 addition of two float32 rounded once more to
// float32 is the correctly rounded float32 sum, so these are exactly what f32 mul + add give.
function refLogits(Q: Float32Array, Rc: Float32Array, bc: Float32Array, P: number, Cn: number, d: number): Float32Array {
  const S = new Float32Array(P * Cn);
  for (let q = 0; q < P; q++) for (let c = 0; c < Cn; c++) {
    let s = 0;
    for (let k = 0; k < d; k++) s = f(s + f(Q[q * d + k]! * Rc[c * d + k]!));
    S[q * Cn + c] = f(s + bc[c]!);
  }
  return S;
}
function refGradQ(G: Float32Array, Rc: Float32Array, P: number, Cn: number, d: number): Float32Array {
  const dQ = new Float32Array(P * d);
  for (let q = 0; q < P; q++) for (let k = 0; k < d; k++) {
    let s = 0;
    for (let c = 0; c < Cn; c++) s = f(s + f(G[q * Cn + c]! * Rc[c * d + k]!));
    dQ[q * d + k] = s;
  }
  return dQ;
}
function refGradCandidates(G: Float32Array, Q: Float32Array, P: number, Cn: number, d: number): Float32Array {
  const dRc = new Float32Array(Cn * d);
  for (let c = 0; c < Cn; c++) for (let k = 0; k < d; k++) {
    let s = 0;
    for (let q = 0; q < P; q++) s = f(s + f(G[q * Cn + c]! * Q[q * d + k]!));
    dRc[c * d + k] = s;
  }
  return dRc;
}

const abs = (a: Float32Array) => a.map(Math.abs);
const U = 2 ** -24; // unit roundoff of float32

/**
 * |simd − js| ≤ (n + 2)·u·(Σ|a·b| + |bias|) element-wise: the classic bound for a float32 sum of n products
 * (the JS kernels' own float32 rounding is inside the same bound). Returns the largest error seen in units
 * of u·(Σ|a·b| + |bias|), which is what the report quotes.
 */
function checkTolerance(simd: Float32Array, js: Float32Array, mag: Float32Array, n: number): number {
  let worst = 0;
  for (let i = 0; i < js.length; i++) {
    const err = Math.abs(simd[i]! - js[i]!), scale = U * mag[i]!;
    if (!(err <= (n + 2) * scale)) throw new Error(`element ${i}: simd ${simd[i]} js ${js[i]} (|err| ${err}, bound ${(n + 2) * scale})`);
    if (scale > 0) worst = Math.max(worst, err / scale);
  }
  return worst;
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

interface Outputs { S: Float32Array; dQ: Float32Array; dRc: Float32Array }
function runSimd(k: SimdKernels, Q: Float32Array, Rc: Float32Array, bc: Float32Array, G: Float32Array, P: number, Cn: number, d: number): Outputs {
  const S = new Float32Array(P * Cn).fill(NaN), dQ = new Float32Array(P * d).fill(NaN), dRc = new Float32Array(Cn * d).fill(NaN);
  k.logits(Q, Rc, bc, S, P, Cn, d);
  k.gradQ(G, Rc, dQ, P, Cn, d);
  k.gradCandidates(G, Q, dRc, P, Cn, d);
  return { S, dQ, dRc };
}

describe('WebAssembly SIMD kernels', () => {
  it('are available on this engine (Node ≥ 16 has WebAssembly SIMD)', () => {
    expect(simdAvailable()).toBe(true);
    expect(createSimdKernels()).not.toBeNull();
  });

  const k = createSimdKernels()!;
  const worst = { logits: 0, gradQ: 0, gradCandidates: 0 };

  for (const [P, Cn, d] of [...SMALL, ...LARGE]) {
    it(`P=${P} Cn=${Cn} d=${d}: bit-identical to float32 in order, within float32 tolerance of the JS kernels`, () => {
      const seed = P * 1_000_003 + Cn * 1009 + d;
      const Q = rand(P * d, seed), Rc = rand(Cn * d, seed + 1), bc = rand(Cn, seed + 2), G = rand(P * Cn, seed + 3);
      const got = runSimd(k, Q, Rc, bc, G, P, Cn, d);

      expect(bits(got.S)).toEqual(bits(refLogits(Q, Rc, bc, P, Cn, d)));
      expect(bits(got.dQ)).toEqual(bits(refGradQ(G, Rc, P, Cn, d)));
      expect(bits(got.dRc)).toEqual(bits(refGradCandidates(G, Q, P, Cn, d)));

      const S = new Float32Array(P * Cn), dQ = new Float32Array(P * d), dRc = new Float32Array(Cn * d);
      logits(Q, Rc, bc, S, P, Cn, d);
      gradQ(G, Rc, dQ, P, Cn, d);
      gradCandidates(G, Q, dRc, P, Cn, d);
      const magS = new Float32Array(P * Cn), magQ = new Float32Array(P * d), magRc = new Float32Array(Cn * d);
      logits(abs(Q), abs(Rc), abs(bc), magS, P, Cn, d);
      gradQ(abs(G), abs(Rc), magQ, P, Cn, d);
      gradCandidates(abs(G), abs(Q), magRc, P, Cn, d);
      worst.logits = Math.max(worst.logits, checkTolerance(got.S, S, magS, d));
      worst.gradQ = Math.max(worst.gradQ, checkTolerance(got.dQ, dQ, magQ, Cn));
      worst.gradCandidates = Math.max(worst.gradCandidates, checkTolerance(got.dRc, dRc, magRc, P));
    });
  }

  it('observed error vs the JS kernels (in units of 2^-24 · Σ|a·b|)', () => {
    console.log(`largest |simd − js| / (2^-24 · Σ|a·b|): ${JSON.stringify(worst)}`);
    // Far inside the (n + 2) bound checked above (n up to 3000), as round-off that partly cancels should be.
    expect(worst.logits).toBeLessThan(16);
    expect(worst.gradQ).toBeLessThan(64);
    expect(worst.gradCandidates).toBeLessThan(64);
  });

  it('are deterministic: repeated calls and a second instance give bit-identical results', () => {
    const [P, Cn, d] = [37, 413, 64];
    const Q = rand(P * d, 11), Rc = rand(Cn * d, 12), bc = rand(Cn, 13), G = rand(P * Cn, 14);
    const first = runSimd(k, Q, Rc, bc, G, P, Cn, d);
    // other sizes in between (the memory layout moves, the memory grows)
    runSimd(k, rand(300 * 32, 1), rand(3000 * 32, 2), rand(3000, 3), rand(300 * 3000, 4), 300, 3000, 32);
    const again = runSimd(k, Q, Rc, bc, G, P, Cn, d);
    const other = runSimd(createSimdKernels()!, Q, Rc, bc, G, P, Cn, d);
    for (const key of ['S', 'dQ', 'dRc'] as const) {
      expect(bits(again[key])).toEqual(bits(first[key]));
      expect(bits(other[key])).toEqual(bits(first[key]));
    }
  });

  it('read only the prefixes they need, write only their outputs, and overwrite (not add to) dQ and dRc', () => {
    const [P, Cn, d] = [6, 21, 9];
    const Q = rand(P * d + 5, 21), Rc = rand(Cn * d + 7, 22), bc = rand(Cn + 3, 23), G = rand(P * Cn + 2, 24);
    const inputs = [Q, Rc, bc, G].map((a) => a.slice());
    const S = new Float32Array(P * Cn + 4).fill(7), dQ = new Float32Array(P * d + 4).fill(7), dRc = new Float32Array(Cn * d + 4).fill(7);
    k.logits(Q, Rc, bc, S, P, Cn, d);
    k.gradQ(G, Rc, dQ, P, Cn, d);
    k.gradCandidates(G, Q, dRc, P, Cn, d);
    const want = runSimd(k, Q.slice(0, P * d), Rc.slice(0, Cn * d), bc.slice(0, Cn), G.slice(0, P * Cn), P, Cn, d);
    expect(bits(S.subarray(0, P * Cn))).toEqual(bits(want.S));
    expect(bits(dQ.subarray(0, P * d))).toEqual(bits(want.dQ));
    expect(bits(dRc.subarray(0, Cn * d))).toEqual(bits(want.dRc));
    expect([...S.subarray(P * Cn), ...dQ.subarray(P * d), ...dRc.subarray(Cn * d)]).toEqual(new Array(12).fill(7));
    [Q, Rc, bc, G].forEach((a, i) => expect(bits(a)).toEqual(bits(inputs[i]!)));
  });

  it('handle empty sizes like the JS kernels', () => {
    const one = new Float32Array([2]), S = new Float32Array([5]), dQ = new Float32Array([5]), dRc = new Float32Array([5]);
    k.logits(one, one, new Float32Array([3]), S, 1, 1, 0); // d = 0: S = bc
    expect(S[0]).toBe(3);
    k.gradQ(new Float32Array(0), one, dQ, 1, 0, 1); // no candidates: dQ = 0
    expect(dQ[0]).toBe(0);
    k.gradCandidates(new Float32Array(0), new Float32Array(0), dRc, 0, 1, 1); // no positions: dRc = 0
    expect(dRc[0]).toBe(0);
    expect(() => k.logits(one, one, one, S, 1, 1, 1)).not.toThrow();
    expect(() => k.logits(one, one, one, S, 2, 1, 1)).toThrow(RangeError); // Q too short
  });

  it('keep their memory in steady state', () => {
    const [P, Cn, d] = [64, 300, 32];
    const Q = rand(P * d, 1), Rc = rand(Cn * d, 2), bc = rand(Cn, 3), G = rand(P * Cn, 4);
    const fresh = createSimdKernels()!;
    runSimd(fresh, Q, Rc, bc, G, P, Cn, d);
    const bytes = fresh.memoryBytes;
    for (let i = 0; i < 5; i++) runSimd(fresh, Q, Rc, bc, G, P, Cn, d);
    expect(fresh.memoryBytes).toBe(bytes);
  });
});
