/**
 * The primitives of the secure-aggregation protocol, all through Web Crypto (`globalThis.crypto.subtle`, present in
 * browsers, workers and Node) except where a runtime lacks X25519:
 * - X25519 key agreement: Web Crypto {name: 'X25519'} when the runtime has it (Node, current Chromium), else
 *   `@noble/curves` (audited, pure JS). Keys live as raw 32-byte strings so that device state stays plain JSON
 *   and a secret key can be Shamir-shared; both paths compute the same RFC 7748 function.
 * - HKDF-SHA-256 for every derived key, with the round id and a purpose label in `info` (domain separation).
 * - AES-256-GCM for the device-to-device share envelopes (random 96-bit nonce, associated data bound by the caller).
 * - The mask PRG: AES-256-CTR over zeros, keyed by HKDF from the seed. AES-CTR rather than ChaCha20 because Web
 *   Crypto runs it natively everywhere (AES-NI / ARMv8 crypto extensions, no extra dependency) and the server
 *   expands one mask per dropped edge and per survivor, so its speed matters; each key is fresh per round and
 *   purpose, so the fixed zero counter block never repeats under one key.
 */
import { x25519 } from '@noble/curves/ed25519.js';
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

/** The public key of a raw secret key (the server checks a reconstructed secret key against the advertised one). */
export async function publicKeyOf(secretKey: Uint8Array): Promise<Uint8Array> {
  return x25519.getPublicKey(secretKey);
}

/** X25519(secret, peer). Throws on a low-order peer key (an all-zero shared secret), as RFC 7748 §6.1 allows. */
export async function agree(secretKey: Uint8Array, peerPublic: Uint8Array): Promise<Uint8Array> {
  if (await useWeb()) {
    const priv = await subtle().importKey('pkcs8', bs(concat(PKCS8_PREFIX, secretKey)), { name: 'X25519' }, false, ['deriveBits']);
    const pub = await subtle().importKey('raw', bs(peerPublic), { name: 'X25519' }, false, []);
    return new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: pub } as unknown as AlgorithmIdentifier, priv, 256));
  }
  const s = x25519.getSharedSecret(secretKey, peerPublic);
  if (s.every((b) => b === 0)) throw new Error('secagg: low-order public key');
  return s;
}

/** HKDF-SHA-256(ikm, salt = "perch-secagg/v1", info = length-prefixed labels), `length` bytes. */
export async function hkdf(ikm: Uint8Array, length: number, ...info: (string | Uint8Array)[]): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', bs(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new TextEncoder().encode('perch-secagg/v1'), info: bs(fields(...info)) },
    key, length * 8,
  );
  return new Uint8Array(bits);
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', bs(data)));
}

export async function hmacKey(key: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', bs(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

export async function hmac(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign('HMAC', key, bs(data)));
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
 * The mask: `d` values uniform in Z_(2^bits), from AES-256-CTR keyed by HKDF(seed, round, label). Each element is
 * a 32-bit little-endian word reduced mod 2^bits, which is exactly uniform because 2^bits divides 2^32.
 */
export async function expandMask(seed: Uint8Array, roundId: string, label: string, d: number, bits: number): Promise<Uint32Array> {
  const keyBytes = await hkdf(seed, 32, 'mask', label, roundId);
  const key = await subtle().importKey('raw', bs(keyBytes), 'AES-CTR', false, ['encrypt']);
  const stream = await subtle().encrypt({ name: 'AES-CTR', counter: new Uint8Array(16), length: 64 }, key, new Uint8Array(4 * d));
  const view = new DataView(stream);
  const out = new Uint32Array(d);
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  for (let i = 0; i < d; i++) out[i] = view.getUint32(4 * i, true) & mask;
  return out;
}
