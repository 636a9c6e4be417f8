// The aggregator's native secagg crypto computes the same X25519 and the same mask streams as the library's Web
// Crypto default, so a server using it unmasks devices that used the default, bit for bit.
import { describe, expect, it } from 'vitest';
import { generateKeyPair, publicKeyOf, SecAggServer, webCryptoBackend } from '@perch/learn/secagg';
// the library's in-process round harness (test-only, not exported by the package)
import { runRound } from '@perch/learn/secagg/testing';
import { nodeSecAggBackend } from '../src/secagg-backend.js';

describe('nodeSecAggBackend', () => {
  it.each([0, 2])('agrees with Web Crypto on X25519, public keys, HKDF, HMAC and AES-CTR keystreams of any length (%i threads)', async (threads) => {
    const node = nodeSecAggBackend({ threads });
    const a = await generateKeyPair(), b = await generateKeyPair(), c = await generateKeyPair();
    expect((await node.agreeMany(a.secretKey, [b.publicKey, c.publicKey])).map((x) => Buffer.from(x).toString('hex')))
      .toEqual((await webCryptoBackend.agreeMany(a.secretKey, [b.publicKey, c.publicKey])).map((x) => Buffer.from(x).toString('hex')));
    expect(Buffer.from(await publicKeyOf(a.secretKey, node)).toString('hex')).toBe(Buffer.from(a.publicKey).toString('hex'));
    await expect(node.agreeMany(a.secretKey, [new Uint8Array(32)])).rejects.toThrow();
    const ikm = crypto.getRandomValues(new Uint8Array(32)), salt = new Uint8Array([1, 2]), info = new Uint8Array([3]);
    const web = new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']), 256));
    expect(Buffer.from(node.hkdf!(ikm, salt, info, 32)).equals(Buffer.from(web))).toBe(true);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await crypto.subtle.importKey('raw', ikm, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']), info));
    expect(Buffer.from(node.hmac!(ikm, info)).equals(Buffer.from(mac))).toBe(true);
    const key = crypto.getRandomValues(new Uint8Array(32));
    for (const len of [1, 16, 17, 4096, 69_632]) {
      expect(Buffer.from(await node.keystream(key, len)).equals(Buffer.from(await webCryptoBackend.keystream(key, len)))).toBe(true);
    }
  });

  it('a server with the native backend sums what Web Crypto devices masked, with dropouts', async () => {
    const run = await runRound({ n: 20, d: 500, bits: 15, server: { minCohort: 10, k: 10, t: 4 }, policy: { minCohort: 10, minDegree: 10, minThreshold: 4 }, drop: { mask: [3, 8], unmask: [5] } });
    expect(run.failure).toBeUndefined();
    const state = run.server.toJSON();
    state.stage = 'unmasking';
    const native = SecAggServer.fromJSON(state, nodeSecAggBackend({ threads: 2 }));
    const fin = await native.finish();
    expect(fin.ok).toBe(true);
    if (fin.ok) expect(Array.from(fin.message.sum)).toEqual(Array.from(run.result!.sum));
  });
});
