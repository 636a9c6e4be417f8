/**
 * Shamir secret sharing of the 32-byte secrets (the self-mask seed b and the mask-agreement secret key s), through
 * `shamir-secret-sharing` (Privy; audited by Cure53 and Zellic; zero dependencies; Web Crypto randomness): bytewise
 * over GF(256), a share is the secret's length plus one byte holding its x-coordinate. GF(256) caps a split at 255
 * shares, which is why the neighbourhood size k is capped at 255 (`params.ts`). Chosen over a home-made field:
 * the secret-sharing step is where a subtle bug silently voids the protocol's guarantee, and an audited,
 * maintained library with the same API in the browser and Node removes that risk.
 */
import { combine, split } from 'shamir-secret-sharing';

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
  return combine(use);
}
