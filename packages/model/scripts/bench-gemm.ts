// JS vs WebAssembly SIMD for the trainer's three dense kernels at the trainer's sizes.
//
//   npx tsx packages/model/scripts/bench-gemm.ts [P Cn d]      (default 256 1280 64; well under a minute)
//
// For each kernel: ms per call and G multiply-adds/s of the JS kernel (batch.ts), of the wrapper
// (createSimdKernels: copy in, compute, copy out) and of the module alone on arrays already in its memory
// (the difference is what the copies cost). Median of several timed rounds.
import { gradCandidates, gradQ, logits } from '../src/plain/batch.js';
import { createSimdKernels, gemmWasmBytes } from '../src/plain/simd/index.js';
import { time } from './timing.js';

const [P, Cn, d] = (process.argv.slice(2).length === 3 ? process.argv.slice(2).map(Number) : [256, 1280, 64]) as [number, number, number];
const macs = P * Cn * d;

function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 31 - 1; }
  return a;
}


const Q = rand(P * d, 1), Rc = rand(Cn * d, 2), bc = rand(Cn, 3), G = rand(P * Cn, 4);
const S = new Float32Array(P * Cn), dQ = new Float32Array(P * d), dRc = new Float32Array(Cn * d);

const simd = createSimdKernels();
if (!simd) { console.log('WebAssembly SIMD is not available here'); process.exit(1); }

// The module alone, on arrays placed in its memory once (no copies per call).
const memory = new WebAssembly.Memory({ initial: 1 });
const ex = new WebAssembly.Instance(new WebAssembly.Module(gemmWasmBytes()), { env: { memory } }).exports as unknown as {
  logits(q: number, rc: number, bc: number, s: number, P: number, Cn: number, d: number, pack: number): void;
  gradQ(g: number, rc: number, dq: number, P: number, Cn: number, d: number, pack: number): void;
  gradCandidates(g: number, q: number, drc: number, P: number, Cn: number, d: number, pack: number): void;
};
const at = (prev: number, floats: number) => (prev + floats * 4 + 32 + 63) & ~63;
const mq = 256, mrc = at(mq, P * d), mbc = at(mrc, Cn * d), mg = at(mbc, Cn), mout = at(mg, P * Cn), mpack = at(mout, Math.max(P * Cn, P * d, Cn * d));
const packMax = 32 * Math.ceil(Math.max(Cn, d) / 8) * Math.max(P, Cn, d);
memory.grow(Math.ceil((mpack + packMax + 64) / 65536));
const heap = new Float32Array(memory.buffer);
heap.set(Q, mq >> 2); heap.set(Rc, mrc >> 2); heap.set(bc, mbc >> 2); heap.set(G, mg >> 2);

const rows: [string, () => void, () => void, () => void][] = [
  ['logits', () => logits(Q, Rc, bc, S, P, Cn, d), () => simd.logits(Q, Rc, bc, S, P, Cn, d), () => ex.logits(mq, mrc, mbc, mout, P, Cn, d, mpack)],
  ['gradQ', () => gradQ(G, Rc, dQ, P, Cn, d), () => simd.gradQ(G, Rc, dQ, P, Cn, d), () => ex.gradQ(mg, mrc, mout, P, Cn, d, mpack)],
  ['gradCandidates', () => gradCandidates(G, Q, dRc, P, Cn, d), () => simd.gradCandidates(G, Q, dRc, P, Cn, d), () => ex.gradCandidates(mg, mq, mout, P, Cn, d, mpack)],
];

const fmt = (ms: number) => `${ms.toFixed(2).padStart(6)} ms ${(macs / ms / 1e6).toFixed(2).padStart(5)} G/s`;
console.log(`P=${P} Cn=${Cn} d=${d}: ${(macs / 1e6).toFixed(1)} M multiply-adds per call; node ${process.version}`);
console.log(`${'kernel'.padEnd(15)} ${'JS'.padEnd(20)} ${'WASM (with copies)'.padEnd(20)} ${'WASM (no copies)'.padEnd(20)} speed-up (with / without copies)`);
for (const [name, js, wrapped, bare] of rows) {
  const tj = time(js, 5), tw = time(wrapped), tb = time(bare);
  console.log(`${name.padEnd(15)} ${fmt(tj)}   ${fmt(tw)}   ${fmt(tb)}   ${(tj / tw).toFixed(1)}× / ${(tj / tb).toFixed(1)}×`);
}
