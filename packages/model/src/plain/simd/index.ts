// WebAssembly SIMD (f32x4) versions of the trainer's three dense kernels (batch.ts: logits, gradQ,
// gradCandidates) and of its sampled-softmax gradient pass (softmaxGrad, with softmaxGradJs below, its JS
// twin bit for bit), from gemm.wat. Same signatures and semantics as the JS kernels; the arrays are copied
// into the module's memory, computed there and the result copied back (at P = 256, Cn = 1280, d = 64 the
// copies are a few per cent of a call, see scripts/bench-gemm.ts).
//
// Numerics: each output element is summed in float32, in order, from +0 (then + bc[c] for logits), with
// plain f32x4 mul and add: bit-identical on every engine and machine, and on every call. The JS kernels
// accumulate (partly) in float64, so the two differ by float32 rounding (see simd.test.ts).
//
// No Node globals here: the package is bundled for browsers too.
import { GEMM_WASM_BASE64 } from './gemm-wasm.js';

/** The kernels: the three products with the signatures and semantics of the JS ones in ../batch.ts, and softmaxGrad. */
export interface SimdKernels {
  /** S[q, c] = Q[q]·Rc[c] + bc[c] for q < P, c < Cn (Q: P × d, Rc: Cn × d, S: P × Cn, row-major). */
  logits(Q: Float32Array, Rc: Float32Array, bc: Float32Array, S: Float32Array, P: number, Cn: number, d: number): void;
  /** dQ[q] = Σ_c G[q, c]·Rc[c] (overwrites the first P·d entries of dQ). */
  gradQ(G: Float32Array, Rc: Float32Array, dQ: Float32Array, P: number, Cn: number, d: number): void;
  /** dRc[c] = Σ_q G[q, c]·Q[q] (overwrites the first Cn·d entries of dRc). */
  gradCandidates(G: Float32Array, Q: Float32Array, dRc: Float32Array, P: number, Cn: number, d: number): void;
  /**
   * In place over S (P × Cn): row q becomes (softmax(S[q]) − onehot(tgt[q])) · invP; returns
   * Σ_q (log Σ_c exp(S[q,c]) − S[q, tgt[q]]) (the summed cross-entropy, a JS number); when colSums is given
   * (length ≥ Cn, Float32Array), adds every column's sum over q of the new S into it. Float32 throughout,
   * bit-identical to softmaxGradJs (which states the exact operations); needs 0 ≤ tgt[q] < Cn.
   */
  softmaxGrad(S: Float32Array, tgt: Int32Array, P: number, Cn: number, invP: number, colSums: Float32Array | null): number;
  /** Bytes of WebAssembly memory held now (it grows with the largest sizes seen, never shrinks). */
  readonly memoryBytes: number;
}

interface Exports {
  logits(q: number, rc: number, bc: number, s: number, P: number, Cn: number, d: number, pack: number): void;
  gradQ(g: number, rc: number, dq: number, P: number, Cn: number, d: number, pack: number): void;
  gradCandidates(g: number, q: number, drc: number, P: number, Cn: number, d: number, pack: number): void;
  softmaxGrad(s: number, tgt: number, P: number, Cn: number, invP: number, cols: number, stats: number): void;
}

const PAGE = 65536;
/** Bytes 0..255 belong to the module (its scratch block); the arrays start after them. */
const BASE = 256;

let bytesCache: Uint8Array<ArrayBuffer> | null = null;
let moduleCache: WebAssembly.Module | null | undefined;

/** The module's bytes (decoded once). */
export function gemmWasmBytes(): Uint8Array<ArrayBuffer> {
  if (!bytesCache) {
    const bin = atob(GEMM_WASM_BASE64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    bytesCache = out;
  }
  return bytesCache;
}

/** The compiled module, or null where WebAssembly or its SIMD is unavailable. */
function gemmModule(): WebAssembly.Module | null {
  if (moduleCache === undefined) {
    moduleCache = null;
    try {
      if (typeof WebAssembly === 'object' && typeof atob === 'function') {
        const bytes = gemmWasmBytes();
        if (WebAssembly.validate(bytes)) moduleCache = new WebAssembly.Module(bytes);
      }
    } catch {
      moduleCache = null;
    }
  }
  return moduleCache;
}

/** Whether this engine runs the SIMD kernels (WebAssembly with 128-bit SIMD). */
export function simdAvailable(): boolean {
  return gemmModule() !== null;
}

/** Start of the region after one of `floats` floats at byte `at`: 64-byte aligned, ≥ 32 bytes of slack. */
function after(at: number, floats: number): number {
  return (at + floats * 4 + 32 + 63) & ~63;
}

/** Bytes of 8-column panels for B (R × N): 32·⌈N/8⌉·R (gemm.wat's packBytes). */
function packBytes(R: number, N: number): number {
  return 32 * Math.ceil(N / 8) * R;
}

function isSize(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

function checkDims(P: number, Cn: number, d: number): void {
  if (!(isSize(P) && isSize(Cn) && isSize(d))) throw new RangeError(`simd kernels: bad sizes P=${P} Cn=${Cn} d=${d}`);
}

function need(name: string, a: Float32Array, n: number): void {
  if (a.length < n) throw new RangeError(`simd kernels: ${name} has ${a.length} floats, needs ${n}`);
}

function checkSoftmax(S: Float32Array, tgt: Int32Array, P: number, Cn: number, colSums: Float32Array | null): void {
  if (!(isSize(P) && isSize(Cn))) throw new RangeError(`softmaxGrad: bad sizes P=${P} Cn=${Cn}`);
  need('S', S, P * Cn);
  if (colSums) need('colSums', colSums, Cn);
  if (tgt.length < P) throw new RangeError(`softmaxGrad: tgt has ${tgt.length} entries, needs ${P}`);
  for (let q = 0; q < P; q++) {
    const t = tgt[q]!;
    if (!(t >= 0 && t < Cn)) throw new RangeError(`softmaxGrad: tgt[${q}] = ${t} is not a column of 0..${Cn - 1}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// softmaxGrad in plain JS, operation for operation as gemm.wat computes it (each float32 operation is the
// float64 one rounded by Math.fround, which for +, −, ×, ÷ of float32 values is the float32 operation): the
// reference the tests hold the WebAssembly kernel to, bit for bit.

const f = Math.fround;
const LOG2E = f(1.44269504), ROUND = 12582912; // 1.5·2^23
const LN2_HI = 0.693359375, LN2_LO = f(-2.12194440e-4);
const Q4 = f(0.001381161157041788), Q3 = f(0.008370134979486465), Q2 = f(0.04166853055357933), Q1 = f(0.16666509211063385), Q0 = f(0.4999999403953552);

/**
 * exp(x − m) as gemm.wat's $expRow computes it for one lane (float32 x and m, low = fround(m − 110));
 * see there for the method. Within 1 float32 ulp of exp(x) for m = 0 and x in [−88, 0] (softmax.test.ts).
 */
function expDiffJs(x: number, m: number, low: number): number {
  const xc = x < low ? low : x; // f32x4.pmax(x, low)
  const a = f(xc - m);
  const b = f(a - xc);
  const err = f(f(xc - f(a - b)) - f(m + b));
  const j = f(f(a * LOG2E) + ROUND);
  const n = f(j - ROUND); // an integer
  const r = f(f(f(a - f(n * LN2_HI)) - f(n * LN2_LO)) + err);
  let y = f(f(r * Q4) + Q3);
  y = f(f(y * r) + Q2);
  y = f(f(y * r) + Q1);
  y = f(f(y * r) + Q0);
  y = f(f(f(y * f(r * r)) + r) + 1);
  const h = n >> 1;
  return f(f(y * 2 ** h) * 2 ** (n - h));
}

/** The kernel's exp(x) (x ≤ 88; 0 below −110): expDiffJs(x, 0, −110). */
export function expJs(x: number): number {
  return expDiffJs(f(x), 0, -110);
}

/**
 * softmaxGrad (SimdKernels) in plain JS with the kernel's float32 operations, bit-identical to it. Per row q:
 *  - mx: lane k = c mod 4 keeps the largest of its S[q, c] in order from −∞ (replaced by a strictly larger
 *    value only), then mx = max(max(lane 0, lane 1), max(lane 2, lane 3)) by the same rule;
 *  - e_c = expDiffJs(S[q, c], mx, fround(mx − 110)); z: lane k sums its e_c in order in float64 from +0,
 *    then z = fround((z0 + z1) + (z2 + z3));
 *  - S[q, c] = fround(e_c·iz) − (c = tgt[q] ? invP : 0), iz = fround(invP) / z, all rounded to float32;
 *  - colSums[c] ← colSums[c] + S[q, c] in float32, rows in order;
 *  - loss += log(z) + mx − S_old[q, tgt[q]] in float64.
 */
export function softmaxGradJs(S: Float32Array, tgt: Int32Array, P: number, Cn: number, invP: number, colSums: Float32Array | null): number {
  checkSoftmax(S, tgt, P, Cn, colSums);
  const ip = f(invP);
  const lane = new Float32Array(4), sum = new Float64Array(4);
  const pm = (a: number, b: number) => (a < b ? b : a); // f32x4.pmax
  let loss = 0;
  for (let q = 0; q < P; q++) {
    const so = q * Cn, t = tgt[q]!;
    lane.fill(-Infinity);
    for (let c = 0; c < Cn; c++) lane[c & 3] = pm(lane[c & 3]!, S[so + c]!);
    const mx = pm(pm(lane[0]!, lane[1]!), pm(lane[2]!, lane[3]!));
    const low = f(mx - 110), st = S[so + t]!;
    sum.fill(0);
    for (let c = 0; c < Cn; c++) {
      const e = expDiffJs(S[so + c]!, mx, low);
      S[so + c] = e;
      sum[c & 3] = sum[c & 3]! + e;
    }
    const z = f((sum[0]! + sum[1]!) + (sum[2]! + sum[3]!));
    loss += Math.log(z) + mx - st;
    const iz = f(ip / z);
    for (let c = 0; c < Cn; c++) {
      const g = f(f(S[so + c]! * iz) - (c === t ? ip : 0));
      S[so + c] = g;
      if (colSums) colSums[c] = f(colSums[c]! + g);
    }
  }
  return loss;
}

/**
 * A prefix of an array as a view, remembered so that the same (array, length) in steady state costs no
 * allocation (the trainer passes the same buffers every step).
 */
class Prefix<T extends Float32Array | Int32Array = Float32Array> {
  private src: T | null = null;
  private n = -1;
  private view: T | null = null;
  of(src: T, n: number): T {
    if (src.length === n) return src;
    if (src !== this.src || n !== this.n) { this.src = src; this.n = n; this.view = src.subarray(0, n) as T; }
    return this.view!;
  }
}

/** A region of the heap as a view, remembered while the heap, the offset and the length stay the same. */
class Region {
  private heap: Float32Array | null = null;
  private at = -1;
  private n = -1;
  private view: Float32Array | null = null;
  of(heap: Float32Array, at: number, n: number): Float32Array {
    if (heap !== this.heap || at !== this.at || n !== this.n) {
      this.heap = heap; this.at = at; this.n = n; this.view = heap.subarray(at >> 2, (at >> 2) + n);
    }
    return this.view!;
  }
}

/**
 * The WebAssembly SIMD kernels with a memory of their own, or null where WebAssembly or its SIMD is not
 * available (the caller keeps the JS kernels then). Synchronous: the module is 2.9 KB, under the 4 KB
 * that older Chrome allows to compile synchronously on a page's main thread (gemm-wasm.test.ts keeps it
 * there). Each instance owns one memory that grows with the largest sizes it has seen and is reused
 * without allocating after that.
 */
export function createSimdKernels(): SimdKernels | null {
  const mod = gemmModule();
  if (!mod) return null;
  let memory: WebAssembly.Memory;
  let ex: Exports;
  try {
    memory = new WebAssembly.Memory({ initial: 16 });
    ex = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as Exports;
  } catch {
    return null;
  }
  let heap = new Float32Array(memory.buffer);
  let heapI = new Int32Array(memory.buffer);
  const ins = [new Prefix(), new Prefix(), new Prefix()];
  const tgtIn = new Prefix<Int32Array>(), sOut = new Region(), colsOut = new Region();

  /** Memory of at least `bytes` bytes; `heap` views all of it. */
  function reserve(bytes: number): void {
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    if (heap.buffer !== memory.buffer) { heap = new Float32Array(memory.buffer); heapI = new Int32Array(memory.buffer); }
  }
  function put(slot: number, src: Float32Array, n: number, at: number): void {
    heap.set(ins[slot]!.of(src, n), at >> 2);
  }
  // The view of the result region, remembered like a Prefix (heap is replaced when the memory grows).
  let outHeap: Float32Array | null = null, outAt = -1, outN = -1, out: Float32Array | null = null;
  function take(dst: Float32Array, n: number, at: number): void {
    if (outHeap !== heap || outAt !== at || outN !== n) { outHeap = heap; outAt = at; outN = n; out = heap.subarray(at >> 2, (at >> 2) + n); }
    dst.set(out!);
  }

  return {
    get memoryBytes() { return memory.buffer.byteLength; },

    logits(Q, Rc, bc, S, P, Cn, d) {
      checkDims(P, Cn, d);
      need('Q', Q, P * d); need('Rc', Rc, Cn * d); need('bc', bc, Cn); need('S', S, P * Cn);
      if (P === 0 || Cn === 0) return;
      const q = BASE, rc = after(q, P * d), b = after(rc, Cn * d), s = after(b, Cn), pack = after(s, P * Cn);
      reserve(pack + packBytes(d, Cn) + 32);
      put(0, Q, P * d, q); put(1, Rc, Cn * d, rc); put(2, bc, Cn, b);
      ex.logits(q, rc, b, s, P, Cn, d, pack);
      take(S, P * Cn, s);
    },

    gradQ(G, Rc, dQ, P, Cn, d) {
      checkDims(P, Cn, d);
      need('G', G, P * Cn); need('Rc', Rc, Cn * d); need('dQ', dQ, P * d);
      if (P === 0 || d === 0) return;
      const g = BASE, rc = after(g, P * Cn), dq = after(rc, Cn * d), pack = after(dq, P * d);
      reserve(pack + packBytes(Cn, d) + 32);
      put(0, G, P * Cn, g); put(1, Rc, Cn * d, rc);
      ex.gradQ(g, rc, dq, P, Cn, d, pack);
      take(dQ, P * d, dq);
    },

    gradCandidates(G, Q, dRc, P, Cn, d) {
      checkDims(P, Cn, d);
      need('G', G, P * Cn); need('Q', Q, P * d); need('dRc', dRc, Cn * d);
      if (Cn === 0 || d === 0) return;
      const g = BASE, q = after(g, P * Cn), drc = after(q, P * d), pack = after(drc, Cn * d);
      reserve(pack + packBytes(P, d) + 32);
      put(0, G, P * Cn, g); put(1, Q, P * d, q);
      ex.gradCandidates(g, q, drc, P, Cn, d, pack);
      take(dRc, Cn * d, drc);
    },

    softmaxGrad(S, tgt, P, Cn, invP, colSums) {
      checkSoftmax(S, tgt, P, Cn, colSums);
      if (P === 0) return 0;
      // S, tgt, stats (mx, z per row), colSums; each followed by ≥ 32 bytes of slack (the kernel reads and
      // writes back up to 12 bytes past S and colSums). Copying S in and out is ~20 % of a call here
      // (scripts/bench-softmax.ts): a caller that kept S in this memory between the kernels would save it.
      const s = BASE, tg = after(s, P * Cn), stats = after(tg, P), cols = after(stats, 2 * P);
      reserve(after(cols, Cn));
      put(0, S, P * Cn, s);
      heapI.set(tgtIn.of(tgt, P), tg >> 2);
      if (colSums) put(1, colSums, Cn, cols);
      ex.softmaxGrad(s, tg, P, Cn, invP, colSums ? cols : 0, stats);
      // the loss from the rows' (mx, z) and the targets' logits, still in S (as in softmaxGradJs)
      let loss = 0;
      for (let q = 0, o = stats >> 2; q < P; q++, o += 2) loss += Math.log(heap[o + 1]!) + heap[o]! - S[q * Cn + tgt[q]!]!;
      S.set(sOut.of(heap, s, P * Cn));
      if (colSums) colSums.set(colsOut.of(heap, cols, Cn));
      return loss;
    },
  };
}
