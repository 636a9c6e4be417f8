/**
 * Arithmetic in Z_m, m = 2^bits (bits ≤ 32), for secure aggregation (KLS21, Kairouz, Liu, Steinke 2021,
 * arXiv 2102.06387, Sec. 4.3–4.4): integers to residues and back to centred integers in [−m/2, m/2), sums of
 * many vectors mod m, bit-exact packing (e.g. 14 bits a value), and the choice of γ and m so that the sum of n
 * devices does not wrap around.
 *
 * Wrap-around. In the scaled domain a coordinate of the sum of n devices' vectors is
 *   Z = (signal, the rotated sum of n clipped vectors) + (n rounding errors) + (n discrete Gaussians).
 * With a flattening rotation the signal coordinate is sub-Gaussian with variance proxy ρ·‖Σx_i‖²/(d·γ²) ≤
 * ρ·n²c²/(d·γ²) (Hoeffding on the random signs; ρ = 1 for a full randomised Hadamard, KLS21 Lemma 29); a
 * rounding error lies in an interval of length 1 (proxy 1/4); N_Z(0, σ_int²) is σ_int²-sub-Gaussian (CKS20).
 * So Z is sub-Gaussian with proxy
 *   v = ρ·n²c²/(d·γ²) + n/4 + n·σ²/γ²           (σ = per-device noise std in model units, σ_int = σ/γ)
 * and the union bound over the d coordinates gives
 *   Pr[some coordinate leaves [−m/2, m/2)] ≤ 2d · exp(−(m/2)² / (2v))       (`wrapProbabilityBound`).
 * Asking m/2 ≥ k·sqrt(v) gives KLS21's choice of γ (Theorem 34 / Eq. 61, as in the official code's
 * `heuristic_scale_factor`): 2^bits = 2k·sqrt(ρc²n²/d + (γ²/4 + σ²)·n)/γ, i.e.
 *   γ = 2k·sqrt(ρc²n²/d + nσ²) / sqrt(4^bits − n·k²)                            (`gammaForBits`),
 * with k = sqrt(2·log(2d/p)) for a wrap probability at most p (`stddevsForWrapProbability`). The rounding-error
 * term treats the conditional rounding as independent unbiased rounding, which it is up to the rare retries.
 */

function checkBits(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new RangeError(`bits must be an integer in [1, 32], got ${bits}`);
  return 2 ** bits;
}

/** Residues x mod m in [0, m) of integers (any sign). */
export function toZm(x: ArrayLike<number>, bits: number): Uint32Array {
  const m = checkBits(bits);
  const out = new Uint32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isSafeInteger(v)) throw new RangeError(`value ${v} at ${i} is not a safe integer`);
    out[i] = ((v % m) + m) % m;
  }
  return out;
}

/** Centred representatives in [−m/2, m/2) of residues mod m. */
export function fromZmCentred(v: ArrayLike<number>, bits: number): Float64Array {
  const m = checkBits(bits), half = m / 2;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) { const r = v[i]! % m; out[i] = r >= half ? r - m : r; }
  return out;
}

/** Coordinate-wise sum mod m of vectors of residues (what secure aggregation reveals). */
export function sumModM(vectors: readonly ArrayLike<number>[], bits: number): Uint32Array {
  checkBits(bits);
  if (vectors.length === 0) throw new RangeError('no vectors to sum');
  const acc = new Uint32Array(vectors[0]!.length);
  for (const v of vectors) addModM(acc, v, bits);
  return acc;
}

/** Adds residues `v` (< 2^bits) into `acc` mod 2^bits, in place: a running sum without a new array per vector. */
export function addModM(acc: Uint32Array, v: ArrayLike<number>, bits: number): Uint32Array {
  const m = checkBits(bits);
  if (v.length !== acc.length) throw new RangeError(`vector lengths differ: ${v.length} vs ${acc.length}`);
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i]! + v[i]!) % m; // < 2·2³², exact in a double
  return acc;
}

/** Bytes needed for `count` values of `bits` bits. */
export function packedLength(count: number, bits: number): number { return Math.ceil((count * bits) / 8); }

/** Packs residues (< 2^bits) at exactly `bits` bits each, least significant bit first. */
export function pack(values: ArrayLike<number>, bits: number): Uint8Array {
  const m = checkBits(bits);
  const out = new Uint8Array(packedLength(values.length, bits));
  let pos = 0; // bit position
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= m) throw new RangeError(`value ${v} at ${i} is not in [0, 2^${bits})`);
    let left = bits;
    while (left > 0) {
      const byte = pos >>> 3, off = pos & 7, take = Math.min(8 - off, left), unit = 2 ** take;
      out[byte] = out[byte]! | ((v % unit) << off);
      v = Math.floor(v / unit); left -= take; pos += take;
    }
  }
  return out;
}

/** Inverse of `pack`: `count` values of `bits` bits. */
export function unpack(bytes: Uint8Array, bits: number, count: number): Uint32Array {
  checkBits(bits);
  if (bytes.length < packedLength(count, bits)) throw new RangeError(`need ${packedLength(count, bits)} bytes, got ${bytes.length}`);
  const out = new Uint32Array(count);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    let v = 0, got = 0;
    while (got < bits) {
      const byte = pos >>> 3, off = pos & 7, take = Math.min(8 - off, bits - got);
      v += ((bytes[byte]! >>> off) & ((1 << take) - 1)) * 2 ** got;
      got += take; pos += take;
    }
    out[i] = v;
  }
  return out;
}

export interface WrapParams {
  /** Number of devices whose vectors are summed. */
  n: number;
  /** L2 clip in model units. */
  clip: number;
  /** Per-device noise standard deviation in model units. */
  sigma: number;
  /** Padded (rotated) dimension. */
  dim: number;
  /** Flatness of the rotation (1 for a full randomised Hadamard). */
  rho?: number;
}

/** Sub-Gaussian variance proxy of one coordinate of the scaled sum (see header). */
export function sumVarianceProxy(p: WrapParams, gamma: number): number {
  const rho = p.rho ?? 1;
  return (rho * p.n * p.n * p.clip * p.clip) / (p.dim * gamma * gamma) + p.n / 4 + (p.n * p.sigma * p.sigma) / (gamma * gamma);
}

/** Upper bound on the probability that the modular sum of n devices wraps in some coordinate. */
export function wrapProbabilityBound(p: WrapParams, gamma: number, bits: number): number {
  const m = checkBits(bits);
  const v = sumVarianceProxy(p, gamma);
  return Math.min(1, 2 * p.dim * Math.exp(-((m / 2) ** 2) / (2 * v)));
}

/** k such that m/2 ≥ k·sqrt(v) gives a wrap probability at most p over dim coordinates. */
export function stddevsForWrapProbability(p: number, dim: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`wrap probability must be in (0, 1), got ${p}`);
  return Math.sqrt(2 * Math.log((2 * dim) / p));
}

/** The granularity γ for which m/2 = k·sqrt(v) (KLS21 Eq. 61); throws if 4^bits ≤ n·k². */
export function gammaForBits(p: WrapParams, bits: number, k: number): number {
  checkBits(bits);
  const rho = p.rho ?? 1;
  const room = 4 ** bits - p.n * k * k;
  if (!(room > 0)) throw new RangeError(`${bits} bits cannot hold ${p.n} devices at ${k} standard deviations (rounding errors alone)`);
  return (2 * k * Math.sqrt((rho * p.clip * p.clip * p.n * p.n) / p.dim + p.n * p.sigma * p.sigma)) / Math.sqrt(room);
}
