/**
 * The masks of SecAgg: the self mask PRG(b) and the pairwise mask PRG(s_uv) with its sign, shared by the device
 * (which adds them) and the server (which removes what survivors and dropped devices left behind), plus the
 * arithmetic in Z_(2^bits). Pairs are ordered by id: the lower id adds +PRG(s_uv), the higher subtracts it, so
 * a pair's masks cancel in the sum when both are in it.
 */
import { fields, toB64 } from './bytes.js';
import { agree, expandMask, sha256 } from './crypto.js';

export const modMask = (bits: number): number => (bits === 32 ? 0xffffffff : 2 ** bits - 1);

/** acc ← acc + sign·v mod 2^bits, in place. */
export function addInto(acc: Uint32Array, v: Uint32Array, sign: 1 | -1, bits: number): void {
  const m = modMask(bits);
  if (sign === 1) for (let i = 0; i < acc.length; i++) acc[i] = (acc[i]! + v[i]!) & m;
  else for (let i = 0; i < acc.length; i++) acc[i] = (acc[i]! - v[i]!) & m;
}

export function selfMask(b: Uint8Array, roundId: string, d: number, bits: number): Promise<Uint32Array> {
  return expandMask(b, roundId, 'self', d, bits);
}

/** The pairwise mask of u and v from X25519(s_u, s_v), and the sign u applies (+1 if u < v). */
export async function pairMask(
  mySecret: Uint8Array, peerPublic: Uint8Array, me: string, peer: string, roundId: string, d: number, bits: number,
): Promise<{ mask: Uint32Array; sign: 1 | -1 }> {
  const shared = await agree(mySecret, peerPublic);
  const [lo, hi] = me < peer ? [me, peer] : [peer, me];
  const mask = await expandMask(shared, roundId, JSON.stringify(['pair', lo, hi]), d, bits);
  return { mask, sign: me < peer ? 1 : -1 };
}

/** The commitment a device publishes to its self-mask seed b (b has 256 bits of entropy, so it hides b). */
export async function commitB(roundId: string, sender: string, b: Uint8Array): Promise<string> {
  return toB64(await sha256(fields('b-commit', roundId, sender, b)));
}
