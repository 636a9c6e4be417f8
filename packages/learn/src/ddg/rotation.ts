/**
 * Randomised Hadamard rotation with a round-public seed, and its inverse (the "flattening" step of KLS21,
 * Kairouz, Liu, Steinke 2021, arXiv 2102.06387, Sec. 4.2): spreads a vector's L2 mass evenly over the coordinates
 * so that the modular sum rarely wraps around. Privacy does not depend on it: the rotation is orthogonal, so L2
 * norms are unchanged, and the accountant only uses the L2 norm bound.
 *
 * Layout: blocks, not one padded power of two. A full Walsh–Hadamard transform needs a power-of-two length, and
 * d ≈ 34,000 would pad to 65,536 (almost double the upload). Instead the vector is zero-padded to `blocks` blocks
 * of `blockSize`, the largest power of two ≥ √d that keeps the padding within 1/32 of d (d = 34,000: 17 blocks of
 * 2,048, padded length 34,816, 2.4 % more; 15 bits a value then fit 64 KB), and rotated in two passes:
 *   y = H_B · D₂ · P · H_B · D₁ · x
 * where D₁, D₂ are seeded ±1 diagonals, H_B the normalised (1/√B) Hadamard transform applied to each block, and
 * P a seeded permutation of all padded coordinates. The first pass flattens within blocks; P scatters each block's
 * coordinates over all blocks (blockSize ≥ blocks, so a block reaches every other); the second pass flattens
 * again. Each step is orthogonal, so the inverse is x = D₁ H_B Pᵀ D₂ H_B y. KLS21's flatness bound (Lemma 29, a
 * single randomised Hadamard of length d) is stated for the full transform; for this layout the same flatness is
 * checked empirically (rotation.test.ts) and taken as the parameter ρ of the wrap-around bound (modular.ts).
 *
 * Seeded randomness: the signs and the permutation come from the repository's seeded generator
 * (`@perch/model/rng`, sfc32 on 32-bit integer operations, identical on every JS engine): 32 signs per word,
 * Fisher–Yates with exact rejection-sampled indices. Device and server must run the same version of this file.
 */
import { Rng } from '@perch/model/rng';

export interface RotationLayout {
  /** Length of the input vector. */
  dim: number;
  /** Power-of-two block length. */
  blockSize: number;
  /** Number of blocks. */
  blocks: number;
  /** blockSize · blocks ≥ dim: the length of the rotated vector. */
  padded: number;
}

/**
 * The block layout for `dim` values. Unless given, blockSize is the largest power of two ≥ √dim whose padding
 * stays within `maxPadFraction` of dim (default 1/32); larger blocks flatten spiky vectors better.
 */
export function rotationLayout(dim: number, blockSize?: number, maxPadFraction = 1 / 32): RotationLayout {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  let b = blockSize;
  if (b === undefined) {
    b = 2 ** Math.ceil(Math.log2(Math.sqrt(dim)));
    while (b < dim && Math.ceil(dim / (2 * b)) * 2 * b - dim <= maxPadFraction * dim) b *= 2;
  }
  if (!Number.isInteger(b) || b < 1 || (b & (b - 1)) !== 0) throw new RangeError(`blockSize must be a power of two, got ${b}`);
  const blocks = Math.ceil(dim / b);
  return { dim, blockSize: b, blocks, padded: blocks * b };
}

interface Transform { signs1: Int8Array; perm: Uint32Array; signs2: Int8Array }

function signs(rng: Rng, n: number): Int8Array {
  const s = new Int8Array(n);
  let w = 0;
  for (let i = 0; i < n; i++) {
    if ((i & 31) === 0) w = rng.nextU32();
    s[i] = (w >>> (i & 31)) & 1 ? -1 : 1;
  }
  return s;
}

/** Uniform index in [0, n), n ≤ 2³², exact (rejection). */
function index(rng: Rng, n: number): number {
  const limit = 4294967296 - (4294967296 % n);
  for (;;) { const w = rng.nextU32(); if (w < limit) return w % n; }
}

function transform(seed: number, layout: RotationLayout): Transform {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be a uint32, got ${seed}`);
  const rng = new Rng(seed);
  const n = layout.padded;
  const signs1 = signs(rng, n);
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) { const j = index(rng, i + 1); const t = perm[i]!; perm[i] = perm[j]!; perm[j] = t; }
  return { signs1, perm, signs2: signs(rng, n) };
}

/** In-place normalised fast Walsh–Hadamard transform of every block (orthogonal and its own inverse). */
export function blockHadamard(v: Float64Array, blockSize: number): void {
  const scale = 1 / Math.sqrt(blockSize);
  for (let off = 0; off < v.length; off += blockSize) {
    for (let h = 1; h < blockSize; h *= 2) {
      for (let i = off; i < off + blockSize; i += 2 * h) {
        for (let j = i; j < i + h; j++) { const a = v[j]!, b = v[j + h]!; v[j] = a + b; v[j + h] = a - b; }
      }
    }
    for (let i = off; i < off + blockSize; i++) v[i] = v[i]! * scale;
  }
}

/** Rotates `x` (length layout.dim) into a new vector of length layout.padded. */
export function rotate(x: ArrayLike<number>, seed: number, layout: RotationLayout): Float64Array {
  if (x.length !== layout.dim) throw new RangeError(`expected ${layout.dim} values, got ${x.length}`);
  const { signs1, perm, signs2 } = transform(seed, layout);
  const y = new Float64Array(layout.padded);
  for (let i = 0; i < layout.dim; i++) y[i] = x[i]! * signs1[i]!;
  blockHadamard(y, layout.blockSize);
  const z = new Float64Array(layout.padded);
  for (let i = 0; i < z.length; i++) z[i] = y[perm[i]!]! * signs2[i]!;
  blockHadamard(z, layout.blockSize);
  return z;
}

/** Inverse of `rotate`: a vector of length layout.padded back to layout.dim values. */
export function unrotate(z: ArrayLike<number>, seed: number, layout: RotationLayout): Float64Array {
  if (z.length !== layout.padded) throw new RangeError(`expected ${layout.padded} values, got ${z.length}`);
  const { signs1, perm, signs2 } = transform(seed, layout);
  const w = Float64Array.from(z);
  blockHadamard(w, layout.blockSize);
  const y = new Float64Array(layout.padded);
  for (let i = 0; i < w.length; i++) y[perm[i]!] = w[i]! * signs2[i]!;
  blockHadamard(y, layout.blockSize);
  const x = new Float64Array(layout.dim);
  for (let i = 0; i < layout.dim; i++) x[i] = y[i]! * signs1[i]!;
  return x;
}
