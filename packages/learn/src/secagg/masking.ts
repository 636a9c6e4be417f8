/**
 * The masks of SecAgg: the self mask PRG(b) and the pairwise mask PRG(s_uv) with its sign, shared by the device
 * (which adds them) and the server (which removes what survivors and dropped devices left behind), plus the
 * arithmetic in Z_(2^bits). Pairs are ordered by id: the lower id adds +PRG(s_uv), the higher subtracts it, so
 * a pair's masks cancel in the sum when both are in it.
 *
 * Speed: masks are added as raw stream words into a `Wide` accumulator, a Uint16Array (bits ≤ 16) or Uint32Array
 * whose stores wrap mod 2^16 or 2^32 by themselves, with no per-element modulo; `narrow` reduces mod 2^bits once
 * at the end (2^bits divides the word range, so the result is the same). Many masks are expanded concurrently
 * (`addMasks`), so Web Crypto's native work overlaps the additions.
 */
import { fields, toB64 } from './bytes.js';
import { expandMask, maskKey, maskKeys, maskWords, sha256, webCryptoBackend, type SecAggBackend } from './crypto.js';

export const modMask = (bits: number): number => (bits === 32 ? 0xffffffff : 2 ** bits - 1);

/** acc ← acc + sign·v mod 2^bits, in place. */
export function addInto(acc: Uint32Array, v: Uint32Array, sign: 1 | -1, bits: number): void {
  const m = modMask(bits);
  if (sign === 1) for (let i = 0; i < acc.length; i++) acc[i] = (acc[i]! + v[i]!) & m;
  else for (let i = 0; i < acc.length; i++) acc[i] = (acc[i]! - v[i]!) & m;
}

/** An accumulator mod 2^16 (bits ≤ 16) or 2^32. */
export type Wide = Uint16Array | Uint32Array;

export function wide(d: number, bits: number, from?: ArrayLike<number>): Wide {
  const acc = bits <= 16 ? new Uint16Array(d) : new Uint32Array(d);
  if (from) acc.set(from);
  return acc;
}

/** acc ← acc + sign·words (mod the accumulator's word range), in place; words must be of the same width. */
export function addWords(acc: Wide, words: Wide, sign: 1 | -1): void {
  const n = acc.length;
  if (acc instanceof Uint16Array && n >= 2 && acc.byteOffset % 4 === 0 && words.byteOffset % 4 === 0) {
    addPairs(new Uint32Array(acc.buffer, acc.byteOffset, n >> 1), new Uint32Array(words.buffer, words.byteOffset, n >> 1), sign);
    if (n & 1) acc[n - 1] = sign === 1 ? acc[n - 1]! + words[n - 1]! : acc[n - 1]! - words[n - 1]!;
    return;
  }
  if (sign === 1) for (let i = 0; i < n; i++) acc[i] = acc[i]! + words[i]!;
  else for (let i = 0; i < n; i++) acc[i] = acc[i]! - words[i]!;
}

/**
 * Two 16-bit lanes per 32-bit word, added or subtracted lane by lane mod 2^16 with no carry or borrow between
 * lanes (SWAR): the low 15 bits of each lane are combined with room to spare, and the top bit is fixed up with xor.
 */
export function addPairs(a: Uint32Array, b: Uint32Array, sign: 1 | -1): void {
  const n = a.length;
  if (sign === 1) for (let i = 0; i < n; i++) { const x = a[i]!, y = b[i]!; a[i] = ((x & 0x7fff7fff) + (y & 0x7fff7fff)) ^ ((x ^ y) & 0x80008000); }
  else for (let i = 0; i < n; i++) { const x = a[i]!, y = b[i]!; a[i] = ((x | 0x80008000) - (y & 0x7fff7fff)) ^ ((x ^ ~y) & 0x80008000); }
}

/** The accumulator reduced mod 2^bits, as values in [0, 2^bits). */
export function narrow(acc: Wide, bits: number): Uint32Array {
  const m = modMask(bits);
  const out = new Uint32Array(acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]! & m;
  return out;
}

/** One mask to add: the AES key of its stream and its sign. */
export interface MaskJob { key: Uint8Array; sign: 1 | -1 }

/** acc ← acc + Σ sign·PRG(key), expanding up to `concurrency` streams at a time. */
export async function addMasks(acc: Wide, jobs: readonly MaskJob[], bits: number, backend: SecAggBackend = webCryptoBackend, concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      addWords(acc, await maskWords(job.key, acc.length, bits, backend), job.sign);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
}

/** The label of the pairwise mask stream of u and v (ordered). */
export function pairLabel(me: string, peer: string): string {
  const [lo, hi] = me < peer ? [me, peer] : [peer, me];
  return JSON.stringify(['pair', lo, hi]);
}

export const selfMaskKey = (b: Uint8Array, roundId: string): Uint8Array => maskKey(b, roundId, 'self');

/** The keys of the pairwise mask streams of `me` with each peer from the X25519 shared secrets, and the sign `me`
 * applies (+1 if me < peer). */
export async function pairMaskJobs(shared: readonly Uint8Array[], me: string, peers: readonly string[], roundId: string, backend?: SecAggBackend): Promise<MaskJob[]> {
  const keys = await maskKeys(peers.map((p, i) => ({ seed: shared[i]!, label: pairLabel(me, p) })), roundId, backend);
  return keys.map((key, i) => ({ key, sign: me < peers[i]! ? 1 : -1 }));
}

export function selfMask(b: Uint8Array, roundId: string, d: number, bits: number): Promise<Uint32Array> {
  return expandMask(b, roundId, 'self', d, bits);
}

/** The pairwise mask of u and v from X25519(s_u, s_v), and the sign u applies (+1 if u < v). */
export async function pairMask(
  mySecret: Uint8Array, peerPublic: Uint8Array, me: string, peer: string, roundId: string, d: number, bits: number,
): Promise<{ mask: Uint32Array; sign: 1 | -1 }> {
  const [shared] = await webCryptoBackend.agreeMany(mySecret, [peerPublic]);
  const mask = await expandMask(shared!, roundId, pairLabel(me, peer), d, bits);
  return { mask, sign: me < peer ? 1 : -1 };
}

/** The commitment a device publishes to its self-mask seed b (b has 256 bits of entropy, so it hides b). */
export function commitB(roundId: string, sender: string, b: Uint8Array): string {
  return toB64(sha256(fields('b-commit', roundId, sender, b)));
}
