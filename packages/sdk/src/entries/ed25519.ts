/**
 * Entry of `dist/perch-ed25519.js`: `@noble/ed25519` (strict RFC 8032) for browsers whose WebCrypto has no Ed25519,
 * loaded by the trust script only there; an IIFE named `perchEd25519`.
 */
export { nobleVerify as verify } from '@perch/model/export';
