// WebAssembly SIMD (f32x4) versions of the trainer's three dense kernels (batch.ts: logits, gradQ,
// gradCandidates), from gemm.wat. Same signatures and semantics as the JS kernels; the arrays are copied
// into the module's memory, computed there and the result copied back (at P = 256, Cn = 1280, d = 64 the
// copies are a few per cent of a call, see scripts/bench-gemm.ts).
//
// Numerics: each output element is summed in float32, in order, from +0 (then + bc[c] for logits), with
// plain f32x4 mul and add: bit-identical on every engine and machine, and on every call. The JS kernels
// accumulate (partly) in float64, so the two differ by float32 rounding (see simd.test.ts).
//
// No Node globals here: the package is bundled for browsers too.
import { GEMM_WASM_BASE64 } from './gemm-wasm.js';

/** The three kernels, with the signatures and semantics of the JS ones in ../batch.ts. */
export interface SimdKernels {
  /** S[q, c] = Q[q]·Rc[c] + bc[c] for q < P, c < Cn (Q: P × d, Rc: Cn × d, S: P × Cn, row-major). */
  logits(Q: Float32Array, Rc: Float32Array, bc: Float32Array, S: Float32Array, P: number, Cn: number, d: number): void;
  /** dQ[q] = Σ_c G[q, c]·Rc[c] (overwrites the first P·d entries of dQ). */
  gradQ(G: Float32Array, Rc: Float32Array, dQ: Float32Array, P: number, Cn: number, d: number): void;
  /** dRc[c] = Σ_q G[q, c]·Q[q] (overwrites the first Cn·d entries of dRc). */
  gradCandidates(G: Float32Array, Q: Float32Array, dRc: Float32Array, P: number, Cn: number, d: number): void;
  /** Bytes of WebAssembly memory held now (it grows with the largest sizes seen, never shrinks). */
  readonly memoryBytes: number;
}

interface Exports {
  logits(q: number, rc: number, bc: number, s: number, P: number, Cn: number, d: number, pack: number): void;
  gradQ(g: number, rc: number, dq: number, P: number, Cn: number, d: number, pack: number): void;
  gradCandidates(g: number, q: number, drc: number, P: number, Cn: number, d: number, pack: number): void;
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

/**
 * A prefix of an array as a view, remembered so that the same (array, length) in steady state costs no
 * allocation (the trainer passes the same buffers every step).
 */
class Prefix {
  private src: Float32Array | null = null;
  private n = -1;
  private view: Float32Array | null = null;
  of(src: Float32Array, n: number): Float32Array {
    if (src.length === n) return src;
    if (src !== this.src || n !== this.n) { this.src = src; this.n = n; this.view = src.subarray(0, n); }
    return this.view!;
  }
}

/**
 * The WebAssembly SIMD kernels with a memory of their own, or null where WebAssembly or its SIMD is not
 * available (the caller keeps the JS kernels then). Synchronous: the module is 1.6 KB, under the 4 KB
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
  const ins = [new Prefix(), new Prefix(), new Prefix()];

  /** Memory of at least `bytes` bytes; `heap` views all of it. */
  function reserve(bytes: number): void {
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer);
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
  };
}
