// The building blocks: the (k, t) rule meets its own bounds, the graph is a reproducible k-regular Harary graph,
// X25519 gives the same secret on the Web Crypto and the @noble/curves paths, the codec rejects non-canonical
// text, and Shamir needs t shares.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeVector, encodeVector, fromB64, packVector, toB64, unpackVector } from './bytes.js';
import { agree, generateKeyPair, hasWebCryptoX25519, open, publicKeyOf, seal, useNobleX25519ForTests, expandMask } from './crypto.js';
import { deriveGraph } from './graph.js';
import { chooseParams, DEFAULT_TARGETS, log2BinomialTail } from './params.js';
import { combine } from 'shamir-secret-sharing';
import { interpolateAtZero, reconstructSecret, shareSecret } from './shamir.js';
import { addWords } from './masking.js';
import { pack } from '../ddg/modular.js';

afterEach(() => useNobleX25519ForTests(false));

describe('parameters', () => {
  it('binomial tail matches a hand computation', () => {
    expect(2 ** log2BinomialTail(4, 0.5, 3)).toBeCloseTo(5 / 16, 12);
    expect(log2BinomialTail(10, 0.1, 0)).toBe(0);
    expect(log2BinomialTail(10, 0.1, 11)).toBe(-Infinity);
  });

  it('chooses k = O(log n) meeting the privacy, connectivity and correctness bounds', () => {
    const { gamma, delta, sigma, eta } = DEFAULT_TARGETS;
    const ks: number[] = [];
    for (const n of [1000, 10_000, 100_000]) {
      const { k, t, feasible } = chooseParams(n);
      expect(feasible).toBe(true);
      expect(k % 2).toBe(0);
      expect(Math.log2(n) + log2BinomialTail(k, gamma, t)).toBeLessThanOrEqual(-sigma);
      expect(Math.log2(n) + (k / 2) * Math.log2(gamma + delta)).toBeLessThanOrEqual(-sigma);
      expect(Math.log2(n) + log2BinomialTail(k, gamma + delta, k - t + 1)).toBeLessThanOrEqual(-eta);
      // t is the smallest that meets the privacy bound
      expect(Math.log2(n) + log2BinomialTail(k, gamma, t - 1)).toBeGreaterThan(-sigma);
      ks.push(k);
    }
    expect(ks[2]! - ks[0]!).toBeLessThan(ks[0]! / 2); // 100× the devices, far less than 2× the degree
  });

  it('falls back to the complete graph for small cohorts and says when the targets do not hold there', () => {
    const p = chooseParams(20);
    expect(p.k).toBe(19);
    expect(p.feasible).toBe(false);
    expect(chooseParams(200, { gamma: 0, delta: 0.05, sigma: 40, eta: 30 }).feasible).toBe(true);
  });
});

describe('graph', () => {
  const ids = Array.from({ length: 50 }, (_, i) => `d${i}`);
  it('is symmetric, k-regular and the same whatever order the participants come in', async () => {
    const g = await deriveGraph('r', 'seed', ids, 8);
    const h = await deriveGraph('r', 'seed', [...ids].reverse(), 8);
    for (const id of ids) {
      expect(g.get(id)).toHaveLength(8);
      expect(g.get(id)).toEqual(h.get(id));
      for (const v of g.get(id)!) expect(g.get(v)).toContain(id);
    }
  });
  it('changes with the seed and the round', async () => {
    const a = await deriveGraph('r', 'seed', ids, 8), b = await deriveGraph('r', 'seed2', ids, 8), c = await deriveGraph('r2', 'seed', ids, 8);
    expect(a.get('d0')).not.toEqual(b.get('d0'));
    expect(a.get('d0')).not.toEqual(c.get('d0'));
  });
});

describe('crypto', () => {
  it('X25519 agrees across the Web Crypto and @noble/curves paths', async () => {
    const a = await generateKeyPair();
    useNobleX25519ForTests(true);
    const b = await generateKeyPair();
    const viaNoble = await agree(b.secretKey, a.publicKey);
    useNobleX25519ForTests(false);
    const viaDefault = await agree(a.secretKey, b.publicKey);
    expect(toB64(viaNoble)).toBe(toB64(viaDefault));
    expect(toB64(await publicKeyOf(a.secretKey))).toBe(toB64(a.publicKey));
    expect(typeof (await hasWebCryptoX25519())).toBe('boolean');
  });

  it('AES-GCM envelopes open only with the same associated data', async () => {
    const key = new Uint8Array(32).fill(7);
    const env = await seal(key, new Uint8Array([1, 2, 3]), new Uint8Array([9]));
    expect(Array.from((await open(key, env, new Uint8Array([9])))!)).toEqual([1, 2, 3]);
    expect(await open(key, env, new Uint8Array([8]))).toBeUndefined();
  });

  it('the mask PRG is deterministic per seed and label and stays below 2^bits', async () => {
    const seed = new Uint8Array(32).fill(1);
    const a = await expandMask(seed, 'r', 'self', 1000, 12), b = await expandMask(seed, 'r', 'self', 1000, 12);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.max(...a)).toBeLessThan(4096);
    expect(Array.from(await expandMask(seed, 'r', 'other', 1000, 12))).not.toEqual(Array.from(a));
  });
});

describe('codec and Shamir', () => {
  it('base64url round-trips and rejects bad text', () => {
    for (let n = 0; n < 10; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      expect(Array.from(fromB64(toB64(b))!)).toEqual(Array.from(b));
    }
    expect(fromB64('a')).toBeUndefined();
    expect(fromB64('ab+/')).toBeUndefined();
    expect(fromB64('AB')).toBeUndefined(); // non-canonical trailing bits
    expect(fromB64(42)).toBeUndefined();
    const v = Uint32Array.from([0, 1, 65535]);
    expect(Array.from(decodeVector(encodeVector(v, 16), 3, 16)!)).toEqual([0, 1, 65535]);
    expect(decodeVector(encodeVector(Uint32Array.from([5000]), 32), 1, 12)).toBeUndefined();
  });

  it('t shares rebuild the secret, t − 1 do not', async () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i);
    const shares = await shareSecret(secret, 10, 4);
    expect(Array.from((await reconstructSecret(shares.slice(3, 7), 4))!)).toEqual(Array.from(secret));
    expect(await reconstructSecret(shares.slice(0, 3), 4)).toBeUndefined();
    // interpolating only t − 1 points gives another value, not the secret
    expect(Array.from(await combine(shares.slice(0, 3)))).not.toEqual(Array.from(secret));
    expect(await reconstructSecret([shares[0]!, shares[0]!, shares[0]!, shares[0]!], 4)).toBeUndefined();
  });

  it('interpolates at zero exactly as the library combines', async () => {
    for (let r = 0; r < 20; r++) {
      const secret = crypto.getRandomValues(new Uint8Array(32));
      const t = 2 + (r % 30), shares = await shareSecret(secret, t + 5, t);
      const pick = shares.slice(r % 5, (r % 5) + t);
      expect(Array.from(interpolateAtZero(pick))).toEqual(Array.from(await combine(pick)));
      expect(Array.from(interpolateAtZero(pick))).toEqual(Array.from(secret));
    }
  });

  it('packs vectors at their bit width, as the ddg packer does, and rejects padding bits', () => {
    for (const bits of [1, 7, 12, 15, 16, 17, 24, 25, 31, 32]) {
      const v = Uint32Array.from({ length: 37 }, (_, i) => (i * 2654435761) % 2 ** bits);
      v[0] = 2 ** bits - 1;
      const bytes = packVector(v, bits);
      expect(bytes.length).toBe(Math.ceil((37 * bits) / 8));
      expect(Array.from(bytes)).toEqual(Array.from(pack(v, bits)));
      expect(Array.from(unpackVector(bytes, 37, bits)!)).toEqual(Array.from(v));
      if ((37 * bits) % 8 !== 0) { const bad = bytes.slice(); bad[bad.length - 1]! |= 0x80; expect(unpackVector(bad, 37, bits)).toBeUndefined(); }
    }
  });

  it('adds 16-bit words two at a time exactly as one at a time, both signs, odd lengths, unaligned views', () => {
    for (const n of [1, 2, 7, 1000, 1001]) {
      const a = Uint16Array.from({ length: n }, () => Math.floor(Math.random() * 65536));
      const b = Uint16Array.from({ length: n }, () => Math.floor(Math.random() * 65536));
      a[0] = 0xffff; b[0] = 0xffff;
      for (const sign of [1, -1] as const) {
        const want = a.map((x, i) => (x + sign * b[i]! + 65536) & 0xffff);
        const got = a.slice(); addWords(got, b, sign);
        expect(Array.from(got)).toEqual(Array.from(want));
        const big = new Uint16Array(n + 1); big.set(a, 1); const view = big.subarray(1); addWords(view, b, sign); // offset 2: plain loop
        expect(Array.from(view)).toEqual(Array.from(want));
      }
    }
  });
});
