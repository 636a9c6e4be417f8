/**
 * Signed model manifests and log checkpoints: canonical JSON, domain-separated signing messages, Ed25519
 * verification against pinned keys, key ids. Isomorphic (no DOM, no Node globals): verification uses WebCrypto
 * (`crypto.subtle`, Ed25519 in current browsers and Node ≥ 20); where a platform lacks Ed25519 the caller passes
 * a fallback verifier (`ed25519-noble.ts`, or the SDK's on-demand `perch-ed25519.js`), loaded only then.
 * Signing itself happens on the aggregator (node:crypto); docs/aggregator.md, "Signed versions and the version log".
 */
import { sha256Hex } from './sha256.js';

export const SIGNATURE_ALG = 'Ed25519';
/** Domain tags: a signature made for one kind of document never verifies as another. */
export const MANIFEST_DOMAIN = 'perch-model-manifest-v1';
export const CHECKPOINT_DOMAIN = 'perch-log-checkpoint-v1';

/** A detached signature as it travels inside the signed document. */
export interface SignatureField {
  alg: typeof SIGNATURE_ALG;
  /** First 16 hex digits of SHA-256(raw public key): which pinned key to try. */
  keyId: string;
  /** base64url of the 64-byte signature. */
  value: string;
}

/** `(signature, message, publicKey) → valid?`, the shape of `@noble/ed25519`'s `verifyAsync`. */
export type Ed25519Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => Promise<boolean>;

export interface VerifyOptions {
  /** Loads a verifier for platforms whose WebCrypto has no Ed25519; called only there. */
  fallback?: () => Promise<Ed25519Verify>;
  /** false: skip WebCrypto (tests compare the two paths). */
  webCrypto?: boolean;
}

/** Why a signed document is refused; `code` is stable, `message` says it to a person. */
export class SignatureError extends Error {
  override name = 'SignatureError';
  constructor(readonly code: 'unsigned' | 'unknown-key' | 'bad-signature', message: string) {
    super(message);
  }
}

/**
 * Canonical JSON (the RFC 8785 scheme for the values manifests hold): object keys sorted by UTF-16 code units at
 * every depth, no whitespace, strings and numbers as `JSON.stringify` writes them; `undefined` members are left
 * out as JSON.stringify does. Non-finite numbers and other non-JSON values throw.
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError('canonical JSON: non-finite number');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON: cannot encode a ${typeof v}`);
}

const enc = new TextEncoder();

/** UTF-8 of `domain ‖ 0x00 ‖ canonical JSON of doc without its `signature` member`: what a signature covers. */
export function signingMessage(domain: string, doc: object): Uint8Array {
  const { signature: _omit, ...rest } = doc as { signature?: unknown };
  return enc.encode(`${domain}\u0000${canonicalJson(rest)}`);
}

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes base64url (no padding); null for anything else. */
export function fromBase64url(text: string): Uint8Array | null {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** Key id of a raw 32-byte Ed25519 public key (base64url): the first 16 hex digits of its SHA-256. */
export async function keyIdOf(publicKey: string): Promise<string> {
  const raw = fromBase64url(publicKey);
  if (!raw || raw.length !== 32) throw new TypeError('an Ed25519 public key is 32 bytes, base64url');
  return (await sha256Hex(raw)).slice(0, 16);
}

/** Whether this platform's WebCrypto verifies Ed25519: unknown until first tried, then remembered. */
let webCryptoEd25519: boolean | undefined;

/** Ed25519 verification of raw bytes: WebCrypto, else the fallback. A malformed key or signature is `false`. */
export async function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, o: VerifyOptions = {}): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const subtle = globalThis.crypto?.subtle;
  if (subtle && o.webCrypto !== false && webCryptoEd25519 !== false) {
    let key: CryptoKey | undefined;
    try {
      key = await subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: SIGNATURE_ALG }, false, ['verify']);
      webCryptoEd25519 = true;
    } catch (e) {
      // NotSupportedError: no Ed25519 here (use the fallback); anything else: a key WebCrypto refuses.
      if ((e as Error)?.name !== 'NotSupportedError') return false;
      webCryptoEd25519 = false;
    }
    if (key) return subtle.verify({ name: SIGNATURE_ALG }, key, signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
  }
  if (!o.fallback) throw new Error('Ed25519 is not available in this WebCrypto and no fallback was given');
  return (await o.fallback())(signature, message, publicKey);
}

/**
 * Checks `doc.signature` against the pinned keys (base64url raw Ed25519). Resolves with the key id that signed;
 * throws `SignatureError` when the document is unsigned, signed by a key that is not pinned, or the signature does
 * not verify (a changed byte anywhere in the signed part, or another key claiming a pinned key's id).
 */
export async function verifySigned(domain: string, doc: object, pinned: readonly string[], o: VerifyOptions = {}): Promise<string> {
  const sig = (doc as { signature?: Partial<SignatureField> }).signature;
  if (!sig || typeof sig !== 'object') throw new SignatureError('unsigned', 'not signed');
  if (sig.alg !== SIGNATURE_ALG || typeof sig.keyId !== 'string' || typeof sig.value !== 'string') throw new SignatureError('bad-signature', `unreadable signature (alg ${String(sig.alg)})`);
  const value = fromBase64url(sig.value);
  let known = false;
  for (const key of pinned) {
    let id: string;
    try { id = await keyIdOf(key); } catch { continue; } // a malformed pinned key matches nothing
    if (id !== sig.keyId) continue;
    known = true;
    if (value && (await verifyEd25519(fromBase64url(key)!, signingMessage(domain, doc), value, o))) return id;
  }
  if (!known) throw new SignatureError('unknown-key', `signed by key ${sig.keyId}, which is not pinned`);
  throw new SignatureError('bad-signature', `the signature by key ${sig.keyId} does not verify`);
}
