/**
 * Native crypto for the aggregator's secure-aggregation server (`SecAggServer.open(options, nodeSecAggBackend())`):
 * X25519, AES-256-CTR, HKDF-SHA-256 and HMAC-SHA-256 through `node:crypto`, synchronous and without Web Crypto's per-call promise and key-import
 * overhead. It computes exactly the functions of `@perch/learn/secagg`'s Web Crypto default (RFC 7748 X25519;
 * AES-256-CTR from the all-zero counter block; RFC 5869 HKDF; RFC 2104 HMAC), so devices and server expand identical masks
 * (test/secagg-backend.test.ts checks both against each other).
 */
import { createCipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import type { SecAggBackend } from '@perch/learn/secagg';

const PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const ZERO_IV = Buffer.alloc(16);

export function nodeSecAggBackend(): SecAggBackend {
  // a survivor's public key is used once per dropped neighbour: import it once
  const publics = new Map<string, KeyObject>();
  const pub = (raw: Uint8Array): KeyObject => {
    const id = Buffer.from(raw).toString('hex');
    let k = publics.get(id);
    if (!k) {
      k = createPublicKey({ key: Buffer.concat([SPKI, raw]), format: 'der', type: 'spki' });
      if (publics.size > 100_000) publics.clear();
      publics.set(id, k);
    }
    return k;
  };
  return {
    async agreeMany(secretKey, peers) {
      const priv = createPrivateKey({ key: Buffer.concat([PKCS8, secretKey]), format: 'der', type: 'pkcs8' });
      return peers.map((p) => {
        const s = new Uint8Array(diffieHellman({ privateKey: priv, publicKey: pub(p) }));
        if (s.every((b) => b === 0)) throw new Error('secagg: low-order public key');
        return s;
      });
    },
    async keystream(key, length) {
      const c = createCipheriv('aes-256-ctr', key, ZERO_IV);
      const out = c.update(Buffer.alloc(length));
      c.final();
      return new Uint8Array(out.buffer, out.byteOffset, out.length);
    },
    hkdf(ikm, salt, info, length) {
      return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
    },
    hmac(key, data) {
      return new Uint8Array(createHmac('sha256', key).update(data).digest());
    },
  };
}
