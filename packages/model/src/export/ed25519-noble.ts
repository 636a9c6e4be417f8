/**
 * The Ed25519 fallback for platforms whose WebCrypto has no Ed25519: `@noble/ed25519` (audited, dependency-free),
 * in its strict RFC 8032 mode (`zip215: false`) so that it accepts what WebCrypto accepts. Imported only where
 * it is needed: as `verifyOptions.fallback` in Node code and tests, and as the SDK's on-demand `perch-ed25519.js`.
 */
import { verifyAsync } from '@noble/ed25519';
import type { Ed25519Verify } from './signature.js';

export const nobleVerify: Ed25519Verify = (signature, message, publicKey) => {
  try {
    return verifyAsync(signature, message, publicKey, { zip215: false }).catch(() => false);
  } catch {
    return Promise.resolve(false); // a point that does not decode
  }
};
