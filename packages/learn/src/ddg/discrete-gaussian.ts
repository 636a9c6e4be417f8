/**
 * Exact sampler of the discrete Gaussian N_Z(0, σ²), Pr[X = x] ∝ exp(−x²/(2σ²)) on the integers, after Canonne,
 * Kamath, Steinke 2020, "The Discrete Gaussian for Differential Privacy" (CKS20, arXiv 2004.00010), Sec. 5
 * (sampling), whose three steps are:
 * - Bernoulli(exp(−γ)) for rational γ ∈ [0, 1] by von Neumann's series: K ← 1; while
 *   Bernoulli(γ/K) = 1: K ← K + 1; output K odd. For γ > 1: ⌊γ⌋ draws of Bernoulli(exp(−1)), all must be 1, then
 *   Bernoulli(exp(−(γ − ⌊γ⌋))).
 * - discrete Laplace with integer scale t: U uniform on {0..t−1}, keep it with probability
 *   exp(−U/t); V ~ Geometric(1 − e⁻¹) from Bernoulli(exp(−1)) draws; X = U + tV; a fair sign; reject (−, 0).
 * - discrete Gaussian: t = ⌊σ⌋ + 1; Y ← discrete Laplace(t); accept Y with probability
 *   exp(−(|Y| − σ²/t)² / (2σ²)).
 *
 * What is exact: σ² is a rational num/den (positive safe integers). Every Bernoulli is "uniform integer in
 * [0, b) < a" with a, b integers, every uniform integer comes from 32-bit random words by rejection (no modulo
 * bias), and the acceptance exponent (|Y|·den·t − num)² / (2·num·den·t²) is kept as an integer ratio: in
 * 53-bit-safe doubles while every intermediate product is a safe integer (checked), otherwise in BigInt. No
 * floating-point exp, log or sqrt touches a sample, so the output distribution is exactly N_Z(0, num/den) given
 * uniform random words. What is floating point: only `sigma2Rational` (turning a real σ² into num/den, rounded up,
 * so the noise is never smaller than asked) and the pmf/variance helpers used for tests and accounting.
 *
 * Randomness: `RandomBits` (uniform 32-bit words). Real devices use `cryptoBits()` (Web Crypto); tests and the
 * simulator use `bitsFromRng(new Rng(seed))` over the repository's seeded generator.
 */

/** Uniform 32-bit words: the only randomness the sampler consumes. */
export interface RandomBits {
  /** Uniform integer in [0, 2³²). */
  uint32(): number;
}

/** A positive rational num/den with safe-integer parts. */
export interface Rational { num: number; den: number }

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;

/** Cryptographically secure 32-bit words from `crypto.getRandomValues`, buffered. */
export function cryptoBits(): RandomBits {
  const c = (globalThis as { crypto?: { getRandomValues<T extends ArrayBufferView>(a: T): T } }).crypto;
  if (!c) throw new Error('cryptoBits: Web Crypto (globalThis.crypto.getRandomValues) is not available');
  const buf = new Uint32Array(4096);
  let i = buf.length;
  return { uint32() { if (i === buf.length) { c.getRandomValues(buf); i = 0; } return buf[i++]!; } };
}

/**
 * 32-bit words from a generator: its `nextU32()` when it has one (the seeded `Rng` of `@perch/model/rng`), else
 * ⌊next()·2³²⌋, which is exactly uniform when next() is uniform on a grid of 2⁻³² or finer (as `cryptoRng()` is).
 */
export function bitsFromRng(rng: { next(): number; nextU32?: () => number }): RandomBits {
  if (typeof rng.nextU32 === 'function') { const f = rng.nextU32.bind(rng); return { uint32: () => f() >>> 0 }; }
  return { uint32: () => Math.floor(rng.next() * TWO32) };
}

/** Uniform integer in [0, n) for a safe integer 1 ≤ n ≤ 2⁵³, by rejection (exact). */
export function uniformInt(bits: RandomBits, n: number): number {
  if (n <= TWO32) {
    if (n === 1) return 0;
    const limit = TWO32 - (TWO32 % n);
    for (;;) { const w = bits.uint32(); if (w < limit) return w % n; }
  }
  const limit = TWO53 - (TWO53 % n);
  for (;;) {
    const v = (bits.uint32() & 0x1fffff) * TWO32 + bits.uint32();
    if (v < limit) return v % n;
  }
}

/** Uniform BigInt in [0, n) for n ≥ 1, by rejection on ⌈log2 n⌉ random bits. */
function uniformBig(bits: RandomBits, n: bigint): bigint {
  const len = n.toString(2).length;
  const words = Math.ceil(len / 32);
  const topBits = len - 32 * (words - 1);
  for (;;) {
    let v = BigInt(bits.uint32() >>> (32 - topBits));
    for (let w = 1; w < words; w++) v = (v << 32n) | BigInt(bits.uint32());
    if (v < n) return v;
  }
}

/** Bernoulli(exp(−a/b)) for safe integers 0 ≤ a ≤ b, b ≥ 1 (CKS20 Sec. 5). */
function bernExpFrac(bits: RandomBits, a: number, b: number): boolean {
  let k = 1;
  // Bernoulli(a/(b·k)) as Bernoulli(a/b) ∧ Bernoulli(1/k), independent draws.
  while (uniformInt(bits, b) < a && uniformInt(bits, k) === 0) k++;
  return (k & 1) === 1;
}

/** Bernoulli(exp(−1)). */
function bernExp1(bits: RandomBits): boolean {
  let k = 1;
  while (uniformInt(bits, k) === 0) k++; // Bernoulli(1/k)
  return (k & 1) === 1;
}

/** Bernoulli(exp(−a/b)) for safe integers a ≥ 0, b ≥ 1. */
function bernExp(bits: RandomBits, a: number, b: number): boolean {
  let q = Math.floor(a / b);
  let r = a - q * b;
  if (r < 0) { q--; r += b; } else if (r >= b) { q++; r -= b; }
  for (let i = 0; i < q; i++) if (!bernExp1(bits)) return false;
  return bernExpFrac(bits, r, b);
}

/** Bernoulli(exp(−a/b)) for BigInts a ≥ 0, b ≥ 1. */
function bernExpBig(bits: RandomBits, a: bigint, b: bigint): boolean {
  const q = a / b, r = a % b;
  for (let i = 0n; i < q; i++) if (!bernExp1(bits)) return false;
  let k = 1;
  while (uniformBig(bits, b) < r && uniformInt(bits, k) === 0) k++;
  return (k & 1) === 1;
}

/** Discrete Laplace with integer scale t ≥ 1: Pr[x] ∝ exp(−|x|/t) (CKS20 Sec. 5). */
export function sampleDiscreteLaplace(bits: RandomBits, t: number): number {
  if (!Number.isSafeInteger(t) || t < 1) throw new RangeError(`discrete Laplace scale must be a positive integer, got ${t}`);
  for (;;) {
    const u = uniformInt(bits, t);
    if (!bernExpFrac(bits, u, t)) continue;
    let v = 0;
    while (bernExp1(bits)) v++;
    const x = u + t * v;
    const negative = (bits.uint32() & 1) === 1;
    if (negative && x === 0) continue;
    return negative ? -x : x;
  }
}

function checkRational(s: Rational): void {
  if (!Number.isSafeInteger(s.num) || !Number.isSafeInteger(s.den) || s.num < 0 || s.den < 1) {
    throw new RangeError(`σ² must be a rational num/den with safe integers num ≥ 0, den ≥ 1, got ${s.num}/${s.den}`);
  }
  if (s.num / s.den > 2 ** 40) throw new RangeError('σ² above 2⁴⁰ is not supported (samples are Int32)');
}

/** ⌊sqrt(num/den)⌋, exactly (integer comparisons in BigInt). */
export function floorSqrtRational(s: Rational): number {
  const num = BigInt(s.num), den = BigInt(s.den);
  let r = Math.floor(Math.sqrt(s.num / s.den));
  while (r > 0 && BigInt(r) * BigInt(r) * den > num) r--;
  while (BigInt(r + 1) * BigInt(r + 1) * den <= num) r++;
  return r;
}

/** Draws from N_Z(0, num/den), reusing the constants of one σ². */
export class DiscreteGaussianSampler {
  readonly sigma2: Rational;
  private readonly t: number;
  private readonly b: number; // 2·num·den·t² when it is a safe integer, else NaN
  private readonly bBig: bigint;
  private readonly forceBig: boolean;

  constructor(sigma2: Rational, private readonly bits: RandomBits, opts: { forceBigInt?: boolean } = {}) {
    checkRational(sigma2);
    this.sigma2 = { num: sigma2.num, den: sigma2.den };
    this.t = floorSqrtRational(sigma2) + 1;
    this.bBig = 2n * BigInt(sigma2.num) * BigInt(sigma2.den) * BigInt(this.t) * BigInt(this.t);
    this.b = this.bBig <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(this.bBig) : NaN;
    this.forceBig = opts.forceBigInt === true;
  }

  /** One draw. */
  sample(): number {
    const { num, den } = this.sigma2;
    if (num === 0) return 0;
    const t = this.t, dt = den * t; // den·t is safe: den ≤ 2⁵³ and checked below
    for (;;) {
      const y = sampleDiscreteLaplace(this.bits, t);
      const ay = Math.abs(y);
      // exponent (|y| − σ²/t)²/(2σ²) = (|y|·den·t − num)² / (2·num·den·t²)
      const p = ay * dt;
      const diff = p - num;
      const a = diff * diff;
      const safe = !this.forceBig && Number.isSafeInteger(dt) && Number.isSafeInteger(p) && Number.isSafeInteger(a) && !Number.isNaN(this.b);
      const accept = safe
        ? bernExp(this.bits, a, this.b)
        : bernExpBig(this.bits, (BigInt(ay) * BigInt(den) * BigInt(t) - BigInt(num)) ** 2n, this.bBig);
      if (accept) return y;
    }
  }

  /** `count` independent draws. */
  sampleVector(count: number): Int32Array {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.sample();
    return out;
  }
}

/** `count` independent draws from N_Z(0, σ²). */
export function sampleDiscreteGaussian(sigma2: Rational, count: number, bits: RandomBits = cryptoBits()): Int32Array {
  return new DiscreteGaussianSampler(sigma2, bits).sampleVector(count);
}

/**
 * The smallest dyadic rational num/2^k ≥ x (x ≥ 0), with k ≤ 20 chosen as large as keeps 2·num·den·t² below 2⁵⁰ so
 * that the sampler stays on safe integers for typical draws. The returned σ² is never below x: noise is rounded up.
 */
export function sigma2Rational(x: number): Rational {
  if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`σ² must be finite and ≥ 0, got ${x}`);
  if (x === 0) return { num: 0, den: 1 };
  const t = Math.floor(Math.sqrt(x)) + 1;
  let k = 20;
  while (k > 0 && 2 * x * 2 ** (2 * k) * t * t > 2 ** 50) k--;
  const den = 2 ** k;
  const num = Math.ceil(x * den); // x·2^k is exact (a power-of-two scaling), so the ceiling is exact
  if (!Number.isSafeInteger(num)) throw new RangeError(`σ² too large: ${x}`);
  return { num, den };
}

// ---- Floating-point helpers (tests, accounting): not part of the exact sampler. ----

/** Pr[X = x] for X ~ N_Z(0, σ²), by direct summation over |x| ≤ 12σ + 12 (relative error below 1e-15 for σ² ≥ 0.01). */
export function discreteGaussianPmf(sigma2: number): (x: number) => number {
  const lim = Math.ceil(12 * Math.sqrt(sigma2) + 12);
  let z = 0;
  for (let x = lim; x >= 1; x--) z += Math.exp(-(x * x) / (2 * sigma2));
  z = 2 * z + 1;
  return (x) => Math.exp(-(x * x) / (2 * sigma2)) / z;
}

/** Variance of N_Z(0, σ²) (strictly below σ², CKS20 Sec. 2), by direct summation. */
export function discreteGaussianVariance(sigma2: number): number {
  const pmf = discreteGaussianPmf(sigma2);
  const lim = Math.ceil(12 * Math.sqrt(sigma2) + 12);
  let v = 0;
  for (let x = lim; x >= 1; x--) v += 2 * x * x * pmf(x);
  return v;
}
