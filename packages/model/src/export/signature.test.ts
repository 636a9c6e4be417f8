import { describe, expect, it } from 'vitest';
import { nobleVerify } from './ed25519-noble.js';
import type { Manifest } from './format.js';
import { sealManifest, signCheckpoint } from './log.js';
import { base64url, canonicalJson, CHECKPOINT_DOMAIN, fromBase64url, MANIFEST_DOMAIN, SignatureError, signingMessage, verifyEd25519, verifySigned } from './signature.js';
import { sampleManifest, testKey } from './testing/keys.js';

const noble = { fallback: async () => nobleVerify };
const both = [['WebCrypto', {}], ['@noble/ed25519', { webCrypto: false, ...noble }]] as const;

describe('canonical JSON', () => {
  it('sorts keys at every depth, whatever the insertion order, and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ z: true, y: null }, 'x'], c: { e: 2.5, d: 'é\n' } })).toBe('{"a":[{"y":null,"z":true},"x"],"b":1,"c":{"d":"é\\n","e":2.5}}');
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
    // UTF-16 code-unit order (RFC 8785), undefined members left out as JSON.stringify does.
    expect(canonicalJson({ 'é': 1, z: 2, Z: 3, _: 4, u: undefined })).toBe('{"Z":3,"_":4,"z":2,"é":1}');
    expect(() => canonicalJson({ x: Infinity })).toThrow(/non-finite/);
    expect(() => canonicalJson({ x: 1n })).toThrow(/bigint/);
  });

  it('the signing message is domain-separated and leaves out the signature', () => {
    const doc = { b: 1, signature: { value: 'x' } };
    expect(new TextDecoder().decode(signingMessage('d', doc))).toBe('d\u0000{"b":1}');
    expect(signingMessage(MANIFEST_DOMAIN, doc)).not.toEqual(signingMessage(CHECKPOINT_DOMAIN, doc));
  });

  it('base64url round-trips and refuses other alphabets', () => {
    const b = Uint8Array.from({ length: 33 }, (_, i) => i * 7);
    expect(fromBase64url(base64url(b))).toEqual(b);
    expect(base64url(b)).not.toMatch(/[+/=]/);
    expect(fromBase64url('ab+c')).toBeNull();
    expect(fromBase64url('a')).toBeNull();
  });
});

describe('signed manifests', () => {
  it.each(both)('a sealed manifest verifies against its pinned key (%s)', async (_, o) => {
    const k = await testKey();
    const m = await sealManifest(sampleManifest(), null, k.signer);
    expect(m.signature).toMatchObject({ alg: 'Ed25519', keyId: k.signer.keyId });
    expect(k.signer.keyId).toMatch(/^[0-9a-f]{16}$/);
    await expect(verifySigned(MANIFEST_DOMAIN, m, [k.publicKey], o)).resolves.toBe(k.signer.keyId);
    // Key order in the document does not matter: the signature covers the canonical form.
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(m).reverse()))) as Manifest;
    await expect(verifySigned(MANIFEST_DOMAIN, reordered, [k.publicKey], o)).resolves.toBe(k.signer.keyId);
  });

  it.each(both)('refuses a tampered body, a tampered log position, a tampered signature, a wrong key and no signature (%s)', async (_, o) => {
    const k = await testKey(), other = await testKey();
    const m = await sealManifest(sampleManifest(), null, k.signer);
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof SignatureError ? e.code : String(e)));
    expect(await code(verifySigned(MANIFEST_DOMAIN, { ...m, modelVersion: '2' }, [k.publicKey], o))).toBe('bad-signature');
    expect(await code(verifySigned(MANIFEST_DOMAIN, { ...m, files: [{ ...m.files[0]!, sha256: 'b'.repeat(64) }] }, [k.publicKey], o))).toBe('bad-signature');
    expect(await code(verifySigned(MANIFEST_DOMAIN, { ...m, log: { ...m.log, index: 7 } }, [k.publicKey], o))).toBe('bad-signature');
    const sig = fromBase64url(m.signature!.value)!;
    sig[5] = sig[5]! ^ 1;
    expect(await code(verifySigned(MANIFEST_DOMAIN, { ...m, signature: { ...m.signature!, value: base64url(sig) } }, [k.publicKey], o))).toBe('bad-signature');
    // Re-signed with another key: not pinned; and the same with the pinned key's id claimed.
    const resigned = await sealManifest(sampleManifest(), null, other.signer);
    expect(await code(verifySigned(MANIFEST_DOMAIN, resigned, [k.publicKey], o))).toBe('unknown-key');
    const forged = await sealManifest(sampleManifest(), null, { ...other.signer, keyId: k.signer.keyId });
    expect(await code(verifySigned(MANIFEST_DOMAIN, forged, [k.publicKey], o))).toBe('bad-signature');
    const { signature: _s, ...unsigned } = m;
    expect(await code(verifySigned(MANIFEST_DOMAIN, unsigned, [k.publicKey], o))).toBe('unsigned');
    // A signature made for a checkpoint never passes as a manifest's.
    expect(await code(verifySigned(CHECKPOINT_DOMAIN, m, [k.publicKey], o))).toBe('bad-signature');
    // Several keys pinned (a rotation): either one is accepted; malformed pinned keys are skipped.
    await expect(verifySigned(MANIFEST_DOMAIN, resigned, ['not-a-key', k.publicKey, other.publicKey], o)).resolves.toBe(other.signer.keyId);
  });

  it('the noble fallback gives the same answers as WebCrypto, and is only loaded when WebCrypto cannot verify', async () => {
    const k = await testKey();
    const cp = await signCheckpoint({ index: 3, head: 'c'.repeat(64) }, k.signer);
    const msg = signingMessage(CHECKPOINT_DOMAIN, cp);
    const pub = fromBase64url(k.publicKey)!;
    const sig = fromBase64url(cp.signature.value)!;
    const cases: [Uint8Array, Uint8Array, Uint8Array][] = [[pub, msg, sig]];
    for (let i = 0; i < 8; i++) {
      const m2 = msg.slice(); m2[i * 5] = m2[i * 5]! ^ (1 << (i % 8)); cases.push([pub, m2, sig]);
      const s2 = sig.slice(); s2[i * 8] = s2[i * 8]! ^ (1 << (i % 8)); cases.push([pub, msg, s2]);
      const p2 = pub.slice(); p2[i * 4] = p2[i * 4]! ^ (1 << (i % 8)); cases.push([p2, msg, sig]);
    }
    let loads = 0;
    const fallback = async () => { loads++; return nobleVerify; };
    const web = await Promise.all(cases.map(([p, m, s]) => verifyEd25519(p, m, s, { fallback })));
    expect(loads).toBe(0);
    const nob = await Promise.all(cases.map(([p, m, s]) => verifyEd25519(p, m, s, { fallback, webCrypto: false })));
    expect(loads).toBeGreaterThan(0);
    expect(nob).toEqual(web);
    expect(web[0]).toBe(true);
    expect(web.filter(Boolean).length).toBe(1);
    // Wrong sizes are false on both paths without reaching either library.
    expect(await verifyEd25519(pub.subarray(1), msg, sig)).toBe(false);
    expect(await verifyEd25519(pub, msg, sig.subarray(1), { webCrypto: false })).toBe(false);
  });
});
