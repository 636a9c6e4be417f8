/** Test helpers for signed exports: a fresh Ed25519 key (WebCrypto) with its signer, and a small manifest. */
import type { Manifest } from '../format.js';
import type { Signer } from '../log.js';
import { base64url, keyIdOf } from '../signature.js';

/** A fresh Ed25519 key: its base64url raw public key and a signer, as the aggregator holds one. */
export async function testKey(): Promise<{ publicKey: string; signer: Signer }> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = base64url(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
  const sign = async (m: Uint8Array) => new Uint8Array(await crypto.subtle.sign('Ed25519', pair.privateKey, m as Uint8Array<ArrayBuffer>));
  return { publicKey, signer: { keyId: await keyIdOf(publicKey), sign } };
}

/** A manifest as the aggregator writes one (files are not read by these tests). */
export const sampleManifest = (version = '1'): Manifest => ({
  format: 'perch-model-manifest', formatVersion: 1, modelVersion: version, specVersion: 3, createdAt: '2026-01-01T00:00:00.000Z',
  quantization: 'none', model: 'model.json', vocab: 'vocab.json',
  files: [{ path: 'model.json', sha256: 'a'.repeat(64), bytes: 10 }], totalBytes: 10,
  hyperParameters: { federated: { parent: null, round: null, clients: 0, rule: null } }, evaluation: {},
});
