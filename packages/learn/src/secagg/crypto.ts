/**
 * The primitives of the secure-aggregation protocol, all through Web Crypto (`globalThis.crypto.subtle`, present in
 * browsers, workers and Node) except where a runtime lacks X25519:
 * - X25519 key agreement: Web Crypto {name: 'X25519'} when the runtime has it (Node, current Chromium), else
 *   `@noble/curves` (audited, pure JS). Keys live as raw 32-byte strings so that device state stays plain JSON
 *   and a secret key can be Shamir-shared; both paths compute the same RFC 7748 function.
 * - HKDF-SHA-256 for every derived key, with the round id and a purpose label in `info` (domain separation).
 * - AES-256-GCM for the device-to-device share envelopes (random 96-bit nonce, associated data bound by the caller).
 * - Batches of HKDF (envelope and pairwise mask keys) and HMAC (the graph's tags) go to Web Crypto all at once,
 *   which in a cold browser worker beats hashing in JavaScript; single derivations (self-mask key, graph key) and
 *   SHA-256 (the commitment) use `@noble/hashes` synchronously. A backend may supply synchronous native HKDF/HMAC.
 * - The mask PRG: AES-256-CTR over zeros, keyed by HKDF from the seed, read as 16-bit words when bits ≤ 16, else
 *   32-bit. AES-CTR rather than ChaCha20 because Web Crypto runs it natively everywhere (AES-NI / ARMv8 crypto
 *   extensions, no extra dependency) and the server expands one mask per dropped edge and per survivor, so its
 *   speed matters; each key is fresh per round and purpose, so the fixed zero counter block never repeats under
 *   one key. The aggregator may inject a native implementation (`SecAggBackend`).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { concat, fields } from './bytes.js';

// Web Crypto's typings want ArrayBuffer-backed views; nothing here ever uses a SharedArrayBuffer.
const bs = (u: Uint8Array): Uint8Array<ArrayBuffer> => u as Uint8Array<ArrayBuffer>;

const subtle = (): SubtleCrypto => {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new Error('secagg: Web Crypto (globalThis.crypto.subtle) is not available');
  return c.subtle;
};

export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

export interface KeyPair { publicKey: Uint8Array; secretKey: Uint8Array }

// PKCS#8 wrapping of a raw X25519 private key (RFC 8410): Web Crypto imports private keys only as pkcs8 or jwk.
const PKCS8_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

let webX25519: Promise<boolean> | undefined;
/** Whether this runtime's Web Crypto does X25519 (probed once). */
export function hasWebCryptoX25519(): Promise<boolean> {
  webX25519 ??= subtle().generateKey({ name: 'X25519' }, true, ['deriveBits'])
    .then(() => true, () => false);
  return webX25519;
}

let forceFallback = false;
/** Tests only: run the `@noble/curves` path even where Web Crypto has X25519. */
export function useNobleX25519ForTests(on: boolean): void { forceFallback = on; }

async function useWeb(): Promise<boolean> { return !forceFallback && (await hasWebCryptoX25519()); }

export async function generateKeyPair(): Promise<KeyPair> {
  if (await useWeb()) {
    const kp = (await subtle().generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
    const pub = new Uint8Array(await subtle().exportKey('raw', kp.publicKey));
    const pk8 = new Uint8Array(await subtle().exportKey('pkcs8', kp.privateKey));
    return { publicKey: pub, secretKey: pk8.slice(pk8.length - 32) };
  }
  const secretKey = x25519.utils.randomSecretKey();
  return { publicKey: x25519.getPublicKey(secretKey), secretKey };
}

/** The X25519 base point (u = 9): X25519(sk, base) is the public key of sk. */
const BASE_POINT = new Uint8Array(32); BASE_POINT[0] = 9;

/** The public key of a raw secret key (the server checks a reconstructed secret key against the advertised one). */
export async function publicKeyOf(secretKey: Uint8Array, backend?: SecAggBackend): Promise<Uint8Array> {
  if (backend) return (await backend.agreeMany(secretKey, [BASE_POINT]))[0]!;
  return x25519.getPublicKey(secretKey);
}

/** X25519(secret, peer). Throws on a low-order peer key (an all-zero shared secret), as RFC 7748 §6.1 allows. */
export async function agree(secretKey: Uint8Array, peerPublic: Uint8Array): Promise<Uint8Array> {
  return (await webCryptoBackend.agreeMany(secretKey, [peerPublic]))[0]!;
}

const SALT = new TextEncoder().encode('perch-secagg/v1');

/** HKDF-SHA-256(ikm, salt = "perch-secagg/v1", info = length-prefixed labels), `length` bytes; synchronous. */
export function hkdfSync(ikm: Uint8Array, length: number, ...info: (string | Uint8Array)[]): Uint8Array {
  return nobleHkdf(nobleSha256, ikm, SALT, fields(...info), length);
}

/** `hkdfSync` behind a promise (the callers predate the synchronous form). */
export async function hkdf(ikm: Uint8Array, length: number, ...info: (string | Uint8Array)[]): Promise<Uint8Array> {
  return hkdfSync(ikm, length, ...info);
}

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** HMAC-SHA-256 under one key for many messages, through Web Crypto, all at once: for the 1,000 ids of a cohort
 * this was about 2–4 times faster in a cold Chromium worker than `@noble/hashes` (no JIT warm-up). */
export async function hmacMany(key: Uint8Array, messages: readonly Uint8Array[], backend?: SecAggBackend): Promise<Uint8Array[]> {
  const h = backend?.hmac;
  if (h) return messages.map((m) => h(key, m));
  const k = await subtle().importKey('raw', bs(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return Promise.all(messages.map(async (m) => new Uint8Array(await subtle().sign('HMAC', k, bs(m)))));
}

const NONCE = 12;
/** AES-256-GCM: nonce ‖ ciphertext ‖ 16-byte tag. */
export async function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', bs(key), 'AES-GCM', false, ['encrypt']);
  const iv = randomBytes(NONCE);
  const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: bs(iv), additionalData: bs(aad) }, k, bs(plaintext)));
  return concat(iv, ct);
}

/** Opens a `seal` envelope; `undefined` when the tag fails (forged, altered, replayed under other data). */
export async function open(key: Uint8Array, envelope: Uint8Array, aad: Uint8Array): Promise<Uint8Array | undefined> {
  if (envelope.length < NONCE + 16) return undefined;
  const k = await subtle().importKey('raw', bs(key), 'AES-GCM', false, ['decrypt']);
  try {
    const pt = await subtle().decrypt({ name: 'AES-GCM', iv: bs(envelope.subarray(0, NONCE)), additionalData: bs(aad) }, k, bs(envelope.subarray(NONCE)));
    return new Uint8Array(pt);
  } catch {
    return undefined;
  }
}

/**
 * The crypto an aggregator may replace with faster native code (Node's `node:crypto`, see `@perch/aggregator`'s
 * `nodeSecAggBackend`): the two operations the server repeats once per mask. Both must compute exactly the same
 * function as the defaults here (Web Crypto), since device and server must expand identical masks.
 */
export interface SecAggBackend {
  /** X25519(secretKey, peer) for each peer (raw 32-byte keys); throws on an all-zero (low-order) result. */
  agreeMany(secretKey: Uint8Array, peers: readonly Uint8Array[]): Promise<Uint8Array[]>;
  /** AES-256-CTR keystream of `length` bytes under `key`, from the all-zero counter block (AES-CTR of zeros). */
  keystream(key: Uint8Array, length: number): Promise<Uint8Array>;
  /** HKDF-SHA-256 (RFC 5869), synchronous; when absent, key batches go through Web Crypto all at once. */
  hkdf?(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** HMAC-SHA-256, synchronous; when absent, batches go through Web Crypto all at once. */
  hmac?(key: Uint8Array, data: Uint8Array): Uint8Array;
}

/** HKDF(ikm_i, 32, ...info_i) for a batch of keys: the backend's synchronous HKDF if it has one, else Web Crypto
 * with every derivation in flight at once (in a cold browser worker this beat a JavaScript HKDF severalfold). */
export async function hkdfMany(items: readonly { ikm: Uint8Array; info: (string | Uint8Array)[] }[], backend: SecAggBackend = webCryptoBackend): Promise<Uint8Array[]> {
  const h = backend.hkdf;
  if (h) return items.map((it) => h(it.ikm, SALT, fields(...it.info), 32));
  const s = subtle();
  return Promise.all(items.map(async (it) => {
    const key = await s.importKey('raw', bs(it.ikm), 'HKDF', false, ['deriveBits']);
    return new Uint8Array(await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: bs(SALT), info: bs(fields(...it.info)) }, key, 256));
  }));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The default backend: Web Crypto (X25519 falls back to `@noble/curves` where the runtime lacks it). */
export const webCryptoBackend: SecAggBackend = {
  async agreeMany(secretKey, peers) {
    if (!(await useWeb())) return peers.map((p) => nobleAgree(secretKey, p));
    const priv = await subtle().importKey('pkcs8', bs(concat(PKCS8_PREFIX, secretKey)), { name: 'X25519' }, false, ['deriveBits']);
    return Promise.all(peers.map(async (p) => {
      const pub = await subtle().importKey('raw', bs(p), { name: 'X25519' }, false, []);
      const s = new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: pub } as unknown as AlgorithmIdentifier, priv, 256));
      if (s.every((b) => b === 0)) throw new Error('secagg: low-order public key');
      return s;
    }));
  },
  async keystream(key, length) {
    const k = await subtle().importKey('raw', bs(key), 'AES-CTR', false, ['encrypt']);
    return new Uint8Array(await subtle().encrypt({ name: 'AES-CTR', counter: new Uint8Array(16), length: 64 }, k, new Uint8Array(length)));
  },
};

function nobleAgree(secretKey: Uint8Array, peer: Uint8Array): Uint8Array {
  const s = x25519.getSharedSecret(secretKey, peer);
  if (s.every((b) => b === 0)) throw new Error('secagg: low-order public key');
  return s;
}

/** Bytes of keystream per mask element: 2 when bits ≤ 16, else 4. */
export const streamWordBytes = (bits: number): number => (bits <= 16 ? 2 : 4);

/** The AES key of a mask stream: HKDF(seed, "mask", label, round). */
export function maskKey(seed: Uint8Array, roundId: string, label: string): Uint8Array {
  return hkdfSync(seed, 32, 'mask', label, roundId);
}

/** `maskKey` for a batch of (seed, label). */
export function maskKeys(items: readonly { seed: Uint8Array; label: string }[], roundId: string, backend?: SecAggBackend): Promise<Uint8Array[]> {
  return hkdfMany(items.map((it) => ({ ikm: it.seed, info: ['mask', it.label, roundId] })), backend);
}

/**
 * The raw stream of a mask: `d` little-endian words of 2 bytes (bits ≤ 16) or 4 bytes, as a Uint16Array or
 * Uint32Array; element i of the mask is word i mod 2^bits, exactly uniform because 2^bits divides the word range.
 * Accumulators may add the raw words mod 2^16 or 2^32 (natural typed-array wrap) and reduce mod 2^bits once at the
 * end, which gives the same result since 2^bits divides 2^16 or 2^32.
 */
export async function maskWords(key: Uint8Array, d: number, bits: number, backend: SecAggBackend = webCryptoBackend): Promise<Uint16Array | Uint32Array> {
  const w = streamWordBytes(bits);
  let bytes = await backend.keystream(key, d * w);
  if (bytes.length !== d * w) throw new Error('secagg: keystream of the wrong length');
  if (bytes.byteOffset % w !== 0) bytes = bytes.slice();
  if (!LITTLE_ENDIAN) {
    bytes = bytes.slice();
    for (let i = 0; i < bytes.length; i += w) bytes.subarray(i, i + w).reverse();
  }
  return w === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, d) : new Uint32Array(bytes.buffer, bytes.byteOffset, d);
}

/** The mask as values in [0, 2^bits): the words of `maskWords` reduced mod 2^bits. */
export async function expandMask(seed: Uint8Array, roundId: string, label: string, d: number, bits: number, backend?: SecAggBackend): Promise<Uint32Array> {
  const words = await maskWords(maskKey(seed, roundId, label), d, bits, backend);
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  const out = new Uint32Array(d);
  for (let i = 0; i < d; i++) out[i] = words[i]! & mask;
  return out;
}
