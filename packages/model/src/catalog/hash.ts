/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain algorithm), over the UTF-8 bytes of a string.
 * The trainer and the device hash the same strings the same way, so a hashed row needs no vocabulary: the
 * device computes it from the item's own fields. Not a cryptographic hash: it spreads names over rows, it does
 * not hide them (everything hashed here is public catalogue data).
 */
const encoder = new TextEncoder();

export function murmur3(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51, c2 = 0x1b873593, n = bytes.length, blocks = n >>> 2;
  let h = seed >>> 0;
  for (let b = 0; b < blocks; b++) {
    const o = b << 2;
    let k = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
    k = Math.imul(k, c1); k = (k << 15) | (k >>> 17); k = Math.imul(k, c2);
    h ^= k; h = (h << 13) | (h >>> 19); h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const t = blocks << 2;
  let k = 0;
  switch (n & 3) {
    case 3: k ^= bytes[t + 2]! << 16; // falls through
    case 2: k ^= bytes[t + 1]! << 8; // falls through
    case 1: k ^= bytes[t]!; k = Math.imul(k, c1); k = (k << 15) | (k >>> 17); k = Math.imul(k, c2); h ^= k;
  }
  h ^= n;
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes. */
export const hashString = (s: string, seed = 0): number => murmur3(encoder.encode(s), seed);

/** The row 1..buckets a name hashes to (row 0 stays the padding / unknown row). */
export const bucketOf = (name: string, buckets: number, seed = 0): number => 1 + (hashString(name, seed) % buckets);
