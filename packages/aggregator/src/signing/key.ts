/**
 * The aggregator's Ed25519 signing key (node:crypto). It signs every published manifest and the log checkpoint;
 * devices pin its public key (`modelKeys`). Stored as a JSON file, mode 0600:
 *   { alg: "Ed25519", keyId, publicKey (base64url of the raw 32 bytes), privateKey (PKCS#8 DER, base64) }
 * created on first start when absent. keyId = first 16 hex digits of SHA-256(raw public key). A database in memory
 * gets an ephemeral key. Rotation: docs/aggregator.md, "Key rotation".
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import type { Signer } from '@perch/model/export';

export interface KeyFile { alg: 'Ed25519'; keyId: string; publicKey: string; privateKey: string }

export interface SigningKey extends Signer {
  /** base64url of the raw 32-byte public key: what pages pin. */
  publicKey: string;
  /** The file it was read from or written to (absent for an ephemeral key). */
  file?: string;
}

export const keyIdOf = (rawPublicKey: Buffer): string => createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 16);

/** The default key file of a database: `<db>.signing-key.json`; none for an in-memory database. */
export const defaultKeyPath = (dbPath: string): string | undefined => (dbPath === ':memory:' || dbPath === '' ? undefined : `${dbPath}.signing-key.json`);

function fromPrivate(privateKey: KeyObject, file?: string): SigningKey {
  const raw = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x as string, 'base64url');
  return { keyId: keyIdOf(raw), publicKey: raw.toString('base64url'), file, sign: (m) => new Uint8Array(sign(null, m, privateKey)) };
}

function newKeyFile(): KeyFile {
  const { privateKey } = generateKeyPairSync('ed25519');
  const k = fromPrivate(privateKey);
  return { alg: 'Ed25519', keyId: k.keyId, publicKey: k.publicKey, privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64') };
}

/** Reads a key file, checking that its public key and id belong to its private key. */
export function readKeyFile(file: string): SigningKey {
  const j = JSON.parse(readFileSync(file, 'utf8')) as Partial<KeyFile>;
  if (j.alg !== 'Ed25519' || typeof j.privateKey !== 'string') throw new Error(`${file}: not an Ed25519 signing key file`);
  const k = fromPrivate(createPrivateKey({ key: Buffer.from(j.privateKey, 'base64'), format: 'der', type: 'pkcs8' }), file);
  if (k.publicKey !== j.publicKey || k.keyId !== j.keyId) throw new Error(`${file}: publicKey or keyId does not belong to the private key`);
  return k;
}

/** The key in `file`, created (mode 0600) when the file does not exist. */
export function ensureKeyFile(file: string): { key: SigningKey; created: boolean } {
  try {
    writeFileSync(file, JSON.stringify(newKeyFile(), null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return { key: readKeyFile(file), created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return { key: readKeyFile(file), created: false };
  }
}

/** The key for a configuration: `file` (created if absent), or an ephemeral one when there is no file. */
export function loadSigningKey(file: string | undefined): SigningKey {
  if (!file) {
    const { privateKey } = generateKeyPairSync('ed25519');
    return fromPrivate(privateKey);
  }
  return ensureKeyFile(file).key;
}
