/**
 * Random sources for the privacy mechanisms, behind one interface (`next()` uniform in [0, 1)):
 * - `cryptoRng()`: backed by `crypto.getRandomValues` (Web Crypto, present in browsers, workers and
 *   Node ≥ 19 as a global). Real clients must use it: DP noise drawn from a guessable seed is no noise.
 * - the seeded `Rng` of `@perch/model/rng` for tests, the simulator and reproducible benchmarks (the repository's
 *   one seeded generator).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** Cryptographically secure generator: 53-bit uniforms from `crypto.getRandomValues`, buffered. */
export function cryptoRng(): Rng {
  const c = (globalThis as { crypto?: { getRandomValues<T extends ArrayBufferView>(a: T): T } }).crypto;
  if (!c) throw new Error('cryptoRng: Web Crypto (globalThis.crypto.getRandomValues) is not available');
  const buf = new Uint32Array(1024);
  let i = buf.length;
  return {
    next() {
      if (i + 2 > buf.length) { c.getRandomValues(buf); i = 0; }
      const hi = buf[i++]! >>> 5, lo = buf[i++]! >>> 6; // 27 + 26 bits
      return (hi * 67108864 + lo) / 9007199254740992;
    },
  };
}

/** Standard normal draws by the Box–Muller transform; keeps the spare value. */
export function gaussian(rng: Rng): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) { const s = spare; spare = undefined; return s; }
    let u = 0;
    while (u === 0) u = rng.next(); // log(0) guard
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** 16 random bytes as a lowercase hex string (an idempotency key: random, never derived from the user). */
export function randomKeyHex(rng: Rng = cryptoRng()): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += Math.floor(rng.next() * 256).toString(16).padStart(2, '0');
  return s;
}
