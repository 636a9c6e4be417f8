/**
 * Shamir secret sharing of the 32-byte secrets (the self-mask seed b and the mask-agreement secret key s), through
 * `shamir-secret-sharing` (Privy; audited by Cure53 and Zellic; zero dependencies; Web Crypto randomness): bytewise
 * over GF(256), a share is the secret's length plus one byte holding its x-coordinate. GF(256) caps a split at 255
 * shares, which is why the neighbourhood size k is capped at 255 (`params.ts`). Chosen over a home-made field:
 * the secret-sharing step is where a subtle bug silently voids the protocol's guarantee, and an audited,
 * maintained library with the same API in the browser and Node removes that risk.
 *
 * Reconstruction is the exception: the library interpolates each byte separately, recomputing the Lagrange basis
 * 32 times, which made the server's 1,000 reconstructions a large part of unmasking. `reconstructSecret` computes
 * the basis at zero once per secret in the same field (GF(2^8) mod x^8+x^4+x^3+x+1, generator 0xe5, as the
 * library's tables) and is tested against the library's `combine`; every rebuilt secret is also checked against
 * its commitment or public key by the server, so a wrong result is refused rather than used.
 */
import { split } from 'shamir-secret-sharing';

export const SECRET_BYTES = 32;
export const SHARE_BYTES = SECRET_BYTES + 1;

/** `count` shares of `secret`, any `threshold` of which reconstruct it. */
export async function shareSecret(secret: Uint8Array, count: number, threshold: number): Promise<Uint8Array[]> {
  if (secret.length !== SECRET_BYTES) throw new RangeError('shareSecret: secrets are 32 bytes');
  return split(secret, count, threshold);
}

/**
 * Reconstructs from exactly `threshold` shares of distinct x-coordinates (more would only cost time: any
 * `threshold` shares of a degree threshold − 1 polynomial determine it). `undefined` if too few are usable.
 */
export async function reconstructSecret(shares: Uint8Array[], threshold: number): Promise<Uint8Array | undefined> {
  const seen = new Set<number>();
  const use: Uint8Array[] = [];
  for (const s of shares) {
    if (s.length !== SHARE_BYTES) continue;
    const x = s[SECRET_BYTES]!;
    if (x === 0 || seen.has(x)) continue;
    seen.add(x);
    use.push(s);
    if (use.length === threshold) break;
  }
  if (use.length < threshold || threshold < 2) return undefined;
  return interpolateAtZero(use);
}

const EXP = new Uint8Array(510), LOG = new Uint8Array(256);
{
  const gmul = (a: number, b: number): number => {
    let p = 0;
    for (let i = 0; i < 8; i++) { if (b & 1) p ^= a; const hi = a & 0x80; a = (a << 1) & 0xff; if (hi) a ^= 0x1b; b >>= 1; }
    return p;
  };
  let x = 1;
  for (let i = 0; i < 255; i++) { EXP[i] = x; EXP[i + 255] = x; LOG[x] = i; x = gmul(x, 0xe5); }
}
const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!);
const div = (a: number, b: number): number => (a === 0 ? 0 : EXP[LOG[a]! + 255 - LOG[b]!]!);

/** The secret (the polynomials' values at 0) from shares with distinct non-zero x-coordinates in the last byte. */
export function interpolateAtZero(shares: readonly Uint8Array[]): Uint8Array {
  const len = shares[0]!.length - 1;
  const xs = shares.map((s) => s[len]!);
  const out = new Uint8Array(len);
  for (let i = 0; i < shares.length; i++) {
    // Lagrange basis at 0: Π_{j≠i} x_j / (x_i + x_j) (subtraction is addition in characteristic 2)
    let basis = 1;
    for (let j = 0; j < shares.length; j++) if (j !== i) basis = mul(basis, div(xs[j]!, xs[i]! ^ xs[j]!));
    const y = shares[i]!;
    for (let b = 0; b < len; b++) out[b] = out[b]! ^ mul(y[b]!, basis);
  }
  return out;
}
