// JS vs WebAssembly SIMD for the trainer's sampled-softmax gradient pass (batch.ts, after `// 3. sampled softmax`).
//
//   npx tsx packages/model/scripts/bench-softmax.ts [P]      (default P = 256; Cn = 1300, 4400, 12102; < 1 min)
//
// Per Cn: ms per call of the JS loop (Math.exp, float64 sums, as in batch.ts), of the wrapper
// (createSimdKernels().softmaxGrad: copy S in, compute, copy S and the column sums out) and of the module
// alone on S already in its memory (the difference is what the copies cost). Median of several timed rounds;
// each call starts from a fresh copy of the logits (the copy's time is measured apart and subtracted).
import { softmaxGrad as softmaxJs } from '../src/plain/batch.js';
import { createSimdKernels, gemmWasmBytes } from '../src/plain/simd/index.js';
import { time } from './timing.js';

const P = Number(process.argv[2] ?? 256);
const sizes = [1300, 4400, 12102];

/** Logits like the trainer's: normal, scale 3 (Box–Muller over an LCG). */
function logits(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  const u = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 2 ** 32; };
  for (let i = 0; i < n; i++) a[i] = 3 * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return a;
}



const simd = createSimdKernels();
if (!simd) { console.log('WebAssembly SIMD is not available here'); process.exit(1); }
const invP = 1 / P;
console.log(`P=${P}; node ${process.version}; ms per call (the logits' refresh copy subtracted)`);
console.log(`${'Cn'.padStart(6)}  ${'JS'.padStart(8)}  ${'WASM'.padStart(8)}  ${'no copies'.padStart(9)}  speed-up (with / without copies)`);
for (const Cn of sizes) {
  const L = logits(P * Cn, Cn), S = new Float32Array(P * Cn);
  const tgt = new Int32Array(P).map((_, q) => (q * 7919) % Cn);
  const gcol = new Float32Array(Cn), cols = new Float32Array(Cn);
  const tCopy = time(() => S.set(L));
  const tJs = time(() => { S.set(L); softmaxJs(S, tgt, P, Cn, invP, gcol); }) - tCopy;
  const tW = time(() => { S.set(L); simd.softmaxGrad(S, tgt, P, Cn, invP, cols); }) - tCopy;
  // the module alone: logits placed in its memory once, refreshed by a copy inside its memory
  const memory = new WebAssembly.Memory({ initial: Math.ceil((3 * P * Cn * 4 + 4 * (P * 3 + Cn) + 4096) / 65536) });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(gemmWasmBytes()), { env: { memory } }).exports as unknown as {
    softmaxGrad(s: number, tgt: number, P: number, Cn: number, invP: number, cols: number, stats: number): void;
  };
  const heap = new Float32Array(memory.buffer), heapI = new Int32Array(memory.buffer);
  const src = 256, s = src + P * Cn * 4 + 64, tg = s + P * Cn * 4 + 64, stats = tg + P * 4 + 64, mc = stats + P * 8 + 64;
  heap.set(L, src >> 2); heapI.set(tgt, tg >> 2);
  const tCopyIn = time(() => heap.copyWithin(s >> 2, src >> 2, (src >> 2) + P * Cn));
  const tB = time(() => { heap.copyWithin(s >> 2, src >> 2, (src >> 2) + P * Cn); ex.softmaxGrad(s, tg, P, Cn, invP, mc, stats); }) - tCopyIn;
  console.log(`${String(Cn).padStart(6)}  ${tJs.toFixed(2).padStart(8)}  ${tW.toFixed(2).padStart(8)}  ${tB.toFixed(2).padStart(9)}  ${(tJs / tW).toFixed(1)}× / ${(tJs / tB).toFixed(1)}×`);
}
