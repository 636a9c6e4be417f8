import { describe, expect, it } from 'vitest';
import { createSimdKernels, expJs, gemmWasmBytes, softmaxGradJs } from './index.js';
import { softmaxGrad } from '../batch.js';

// softmaxGrad (gemm.wat) against (1) softmaxGradJs, its float32 twin, bit for bit, and (2) the trainer's
// JS loop (batch.ts, Math.exp and float64 sums), within the float32 tolerances stated below.

const U = 2 ** -24; // unit roundoff of float32
const TINY = 2 ** -149; // smallest subnormal float32

/** Deterministic standard normals (LCG + Box–Muller). */
function normals(n: number, seed: number): Float64Array {
  const a = new Float64Array(n);
  let s = (seed * 2654435761) >>> 0;
  const u = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 2 ** 32; };
  for (let i = 0; i < n; i++) a[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return a;
}

type Kind = 'normal1' | 'normal3' | 'normal10' | 'spread' | 'equal' | 'mixed';
const KINDS: Kind[] = ['normal1', 'normal3', 'normal10', 'spread', 'equal', 'mixed'];

/**
 * Logits P × Cn: normal with scale 1, 3 or 10 (plus an offset per row); uniform over [−1e4, 0] ('spread');
 * all equal; or 'mixed': rows cycling through those, some with a few huge outliers, ties and integer values.
 */
function logits(kind: Kind, P: number, Cn: number, seed: number): Float32Array {
  const g = normals(P * Cn + P, seed), S = new Float32Array(P * Cn);
  for (let q = 0; q < P; q++) {
    const rowKind = kind === 'mixed' ? (['normal1', 'normal3', 'normal10', 'spread', 'equal', 'outliers', 'ties'] as const)[q % 7]! : kind;
    const off = 5 * g[P * Cn + q]!;
    for (let c = 0; c < Cn; c++) {
      const x = g[q * Cn + c]!, i = q * Cn + c;
      switch (rowKind) {
        case 'normal1': S[i] = x + off; break;
        case 'normal3': S[i] = 3 * x + off; break;
        case 'normal10': S[i] = 10 * x + off; break;
        case 'spread': S[i] = -1e4 * (0.5 + 0.5 * Math.tanh(x)); break; // in [−1e4, 0]
        case 'equal': S[i] = 0.75 + off; break;
        case 'outliers': S[i] = c % 5 === 1 ? 40 + x : c % 7 === 3 ? -200 + x : x; break;
        case 'ties': S[i] = Math.round(2 * x); break;
      }
    }
  }
  return S;
}

function targets(P: number, Cn: number, seed: number): Int32Array {
  const t = new Int32Array(P);
  for (let q = 0; q < P; q++) t[q] = (Math.imul(q + 1, 2654435761 + seed) >>> 0) % Cn;
  return t;
}


/** Σ_q (log Σ_c exp(S[q, c]) − S[q, t_q]) in float64 (finite even where the trainer's loop gives +∞). */
function lossF64(S: Float32Array, tgt: Int32Array, P: number, Cn: number): number {
  let loss = 0;
  for (let q = 0; q < P; q++) {
    let mx = -Infinity, z = 0;
    for (let c = 0; c < Cn; c++) mx = Math.max(mx, S[q * Cn + c]!);
    for (let c = 0; c < Cn; c++) z += Math.exp(S[q * Cn + c]! - mx);
    loss += Math.log(z) + mx - S[q * Cn + tgt[q]!]!;
  }
  return loss;
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

// Tolerances against the trainer's float64 loop. Relative budget for S: exp within 1 ulp (≤ 2u relative; the
// difference x − mx is exact by TwoSum), z rounded once from float64 (≤ u), invP / z and e·iz rounded (≤ u
// each), the reference's own two float32 roundings (≤ u each): ≤ 7u; observed ≈ 5.5u.
//  - S: |Δ| ≤ S_TOL·u·|S_ref| + 4·2^-149, and for the target column (where −invP cancels) u·S_TOL·(|S_ref| + invP);
//  - colSums: |Δ| ≤ (P + S_TOL)·u·(|colSums₀[c]| + Σ_q (|S_ref[q, c]| + [c = t_q]·invP)) (P float32 additions,
//    then each term's own error);
//  - loss: |Δ| ≤ 1e-5·|loss| + 1e-6·P.
const S_TOL = 8;
const worst = { S: 0, ulpS: 0, cols: 0, loss: 0 };

function check(k: ReturnType<typeof createSimdKernels> & object, kind: Kind, P: number, Cn: number, seed: number, withCols = true): void {
  const L = logits(kind, P, Cn, seed), tgt = targets(P, Cn, seed);
  const invP = 1 / Math.max(1, P - (seed % 3)); // not always a power of 2
  const colInit = new Float32Array(Cn).map((_, c) => (c % 3 === 0 ? 0 : (c - Cn / 2) * 1e-3));

  // (1) the kernel bit for bit as softmaxGradJs
  const S = L.slice(), cols = withCols ? colInit.slice() : null;
  const loss = k.softmaxGrad(S, tgt, P, Cn, invP, cols);
  const Sj = L.slice(), colsJ = withCols ? colInit.slice() : null;
  const lossJ = softmaxGradJs(Sj, tgt, P, Cn, invP, colsJ);
  expect(bits(S)).toEqual(bits(Sj));
  if (cols) expect(bits(cols)).toEqual(bits(colsJ!));
  expect(loss).toBe(lossJ);

  // (2) within tolerance of the trainer's float64 loop
  const Sr = L.slice(), gcol = Float32Array.from(colInit);
  const lossR = softmaxGrad(Sr, tgt, P, Cn, invP, gcol);
  const lossX = lossF64(L, tgt, P, Cn);
  if (Number.isFinite(lossR)) expect(Math.abs(lossR - lossX)).toBeLessThanOrEqual(1e-5 * Math.abs(lossX) + 1e-6 * P);
  const dl = Math.abs(loss - lossX);
  expect(dl).toBeLessThanOrEqual(1e-5 * Math.abs(lossX) + 1e-6 * P);
  if (Math.abs(lossX) > 1) worst.loss = Math.max(worst.loss, dl / Math.abs(lossX));
  const fl = Math.fround(invP);
  const absSum = new Float64Array(Cn);
  for (let q = 0; q < P; q++) {
    for (let c = 0; c < Cn; c++) {
      const i = q * Cn + c, ref = Sr[i]!, err = Math.abs(S[i]! - ref);
      const scale = U * (Math.abs(ref) + (c === tgt[q] ? fl : 0));
      if (!(err <= S_TOL * scale + 4 * TINY)) throw new Error(`${kind} P=${P} Cn=${Cn} S[${q}, ${c}]: simd ${S[i]} js ${ref} (|err| ${err})`);
      if (Math.abs(ref) >= 2 ** -126 && c !== tgt[q]) {
        worst.S = Math.max(worst.S, err / scale);
        worst.ulpS = Math.max(worst.ulpS, err / 2 ** (Math.floor(Math.log2(Math.abs(ref))) - 23));
      }
      absSum[c] = absSum[c]! + scale / U;
    }
  }
  if (cols) {
    for (let c = 0; c < Cn; c++) {
      const err = Math.abs(cols[c]! - gcol[c]!), scale = U * (absSum[c]! + Math.abs(colInit[c]!));
      if (!(err <= (P + S_TOL) * scale)) throw new Error(`${kind} P=${P} Cn=${Cn} colSums[${c}]: simd ${cols[c]} js ${gcol[c]} (|err| ${err})`);
      if (scale > 0) worst.cols = Math.max(worst.cols, err / scale);
    }
  }
}

describe('softmaxGrad (WebAssembly SIMD)', () => {
  const k = createSimdKernels()!;

  const SHAPES: [number, number][] = [];
  for (const P of [1, 2, 3, 5]) for (const Cn of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 31, 64, 65]) SHAPES.push([P, Cn]);
  SHAPES.push([17, 127], [64, 1299], [33, 1300], [8, 4401], [256, 1301], [3, 12102]);

  for (const kind of KINDS) {
    it(`${kind} logits, every Cn mod 4: bit-identical to softmaxGradJs, within tolerance of the trainer's loop`, () => {
      let seed = KINDS.indexOf(kind) * 1000;
      for (const [P, Cn] of SHAPES) check(k, kind, P, Cn, ++seed, seed % 2 === 0);
    });
  }

  it('observed error vs the trainer\'s float64 loop', () => {
    console.log(`softmaxGrad vs Math.exp loop: max |ΔS| / (u·|S|) ${worst.S.toFixed(2)} (${worst.ulpS.toFixed(2)} ulp), max |Δcols| / (u·Σ|S|) ${worst.cols.toFixed(2)}, max loss rel. err ${worst.loss.toExponential(2)}`);
    expect(worst.S).toBeLessThan(S_TOL);
  });

  it('P = 0 returns 0 and touches nothing; Cn = 1 gives zeros and loss 0', () => {
    const S = new Float32Array([3, 4]), cols = new Float32Array([7]);
    expect(k.softmaxGrad(S, new Int32Array(0), 0, 1, 1, cols)).toBe(0);
    expect(softmaxGradJs(S, new Int32Array(0), 0, 1, 1, cols)).toBe(0);
    expect([...S, ...cols]).toEqual([3, 4, 7]);
    const one = new Float32Array([-3, 1e4, -1e4]);
    expect(k.softmaxGrad(one, new Int32Array(3), 3, 1, 1 / 3, cols)).toBe(0);
    expect([...one]).toEqual([0, 0, 0]);
    expect(cols[0]).toBe(7);
  });

  it('reads and writes only the prefixes it needs; equal logits give exact uniform probabilities', () => {
    const [P, Cn] = [3, 6];
    const S = new Float32Array(P * Cn + 5).fill(2.5), tgt = new Int32Array([1, 5, 0, 99]), cols = new Float32Array(Cn + 3).fill(1);
    const loss = k.softmaxGrad(S, tgt, P, Cn, 0.25, cols);
    expect(loss).toBeCloseTo(3 * Math.log(6), 12);
    const p = Math.fround(Math.fround(0.25) / 6);
    for (let q = 0; q < P; q++) for (let c = 0; c < Cn; c++) expect(S[q * Cn + c]).toBe(c === tgt[q] ? Math.fround(p - 0.25) : p);
    expect([...S.subarray(P * Cn)]).toEqual([2.5, 2.5, 2.5, 2.5, 2.5]);
    expect([...cols.subarray(Cn)]).toEqual([1, 1, 1]);
  });

  it('rejects bad sizes and targets before touching anything', () => {
    const S = new Float32Array([1, 2, 3, 4]), before = S.slice();
    expect(() => k.softmaxGrad(S, new Int32Array([0, 2]), 2, 2, 1, null)).toThrow(RangeError); // target 2 ≥ Cn
    expect(() => k.softmaxGrad(S, new Int32Array([0, -1]), 2, 2, 1, null)).toThrow(RangeError);
    expect(() => k.softmaxGrad(S, new Int32Array([0]), 2, 2, 1, null)).toThrow(RangeError); // tgt too short
    expect(() => k.softmaxGrad(S, new Int32Array([0, 0]), 2, 3, 1, null)).toThrow(RangeError); // S too short
    expect(() => k.softmaxGrad(S, new Int32Array([0, 0]), 2, 2, 1, new Float32Array(1))).toThrow(RangeError);
    expect(() => k.softmaxGrad(S, new Int32Array([0]), 1, 0, 1, null)).toThrow(RangeError); // no columns
    expect(() => softmaxGradJs(S, new Int32Array([0, 2]), 2, 2, 1, null)).toThrow(RangeError);
    expect(bits(S)).toEqual(bits(before));
  });

  it('is deterministic: repeated calls and a second instance give bit-identical results', () => {
    const [P, Cn] = [37, 1303];
    const L = logits('mixed', P, Cn, 5), tgt = targets(P, Cn, 5);
    const run = (kk: typeof k) => {
      const S = L.slice(), cols = new Float32Array(Cn);
      const loss = kk.softmaxGrad(S, tgt, P, Cn, 1 / P, cols);
      return { S, cols, loss };
    };
    const first = run(k);
    k.softmaxGrad(logits('normal3', 300, 3001, 6), targets(300, 3001, 6), 300, 3001, 1 / 300, new Float32Array(3001)); // memory grows
    const again = run(k), other = run(createSimdKernels()!);
    for (const r of [again, other]) {
      expect(bits(r.S)).toEqual(bits(first.S));
      expect(bits(r.cols)).toEqual(bits(first.cols));
      expect(r.loss).toBe(first.loss);
    }
  });

  it('keeps its memory in steady state', () => {
    const fresh = createSimdKernels()!;
    const [P, Cn] = [64, 999], L = logits('normal3', P, Cn, 9), tgt = targets(P, Cn, 9), cols = new Float32Array(Cn);
    fresh.softmaxGrad(L.slice(), tgt, P, Cn, 1 / P, cols);
    const bytes = fresh.memoryBytes;
    for (let i = 0; i < 3; i++) fresh.softmaxGrad(L.slice(), tgt, P, Cn, 1 / P, cols);
    expect(fresh.memoryBytes).toBe(bytes);
  });
});

describe('the kernel\'s exp', () => {
  // The module's `exp` export runs $expRow on an array in place (m = 0).
  const memory = new WebAssembly.Memory({ initial: 1 });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(gemmWasmBytes()), { env: { memory } }).exports as unknown as {
    exp(p: number, n: number): void;
  };
  function wasmExp(xs: Float32Array): Float32Array {
    const bytes = 256 + xs.length * 4 + 64;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    const heap = new Float32Array(memory.buffer);
    heap.set(xs, 64);
    ex.exp(256, xs.length);
    return heap.slice(64, 64 + xs.length);
  }
  /** |y − exp(x)| in float32 ulps of exp(x) (subnormal ulp 2^-149 below 2^-126). */
  function ulps(y: number, x: number): number {
    const ref = Math.exp(x);
    const e = Math.max(Math.floor(Math.log2(ref)), -126);
    return Math.abs(y - ref) / 2 ** (e - 23);
  }

  it('is within 1 ulp of Math.exp over a dense sweep of [−88, 0] (and matches expJs bit for bit)', () => {
    const N = 1 << 22;
    const xs = new Float32Array(N);
    for (let i = 0; i < N; i++) xs[i] = -88 * (i / (N - 1));
    const ys = wasmExp(xs);
    let maxUlp = 0, maxRel = 0, exact = 0, worstX = 0, mismatch = 0;
    for (let i = 0; i < N; i++) {
      const x = xs[i]!, y = ys[i]!, ref = Math.exp(x);
      if (i % 16 === 0 && y !== expJs(x)) mismatch++;
      const u = ulps(y, x);
      if (u > maxUlp) { maxUlp = u; worstX = x; }
      if (ref >= 2 ** -126) maxRel = Math.max(maxRel, Math.abs(y - ref) / ref);
      if (y === Math.fround(ref)) exact++;
    }
    console.log(`exp over ${N} points of [−88, 0]: max error ${maxUlp.toFixed(3)} ulp (at x = ${worstX}), max relative error ${maxRel.toExponential(3)} (normal results), correctly rounded ${(100 * exact / N).toFixed(2)} %`);
    expect(mismatch).toBe(0);
    expect(maxUlp).toBeLessThan(1);
    expect(maxRel).toBeLessThan(1.5 * U);
  });

  it('is exact at 0, rounds to subnormals below −87.34, reaches 0 below −103.98 and for −∞', () => {
    const xs = new Float32Array([0, -0, -87.3, -87.4, -95, -100, -103.5, -103.98, -104, -109, -110, -1e4, -Infinity, -3.4e38]);
    const ys = wasmExp(xs);
    expect(ys[0]).toBe(1);
    expect(ys[1]).toBe(1);
    for (let i = 2; i < 7; i++) expect(ulps(ys[i]!, xs[i]!)).toBeLessThanOrEqual(1);
    for (let i = 8; i < xs.length; i++) expect(ys[i]).toBe(0);
    for (let i = 0; i < xs.length; i++) expect(ys[i]).toBe(expJs(xs[i]!));
  });
});
