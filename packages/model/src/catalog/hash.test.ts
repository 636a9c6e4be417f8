import { describe, expect, it } from 'vitest';
import { bucketOf, hashString, murmur3 } from './hash.js';

describe('murmur3 (x86, 32-bit)', () => {
  it('matches the reference implementation on published vectors', () => {
    // vectors of the reference C++ implementation (SMHasher's MurmurHash3_x86_32)
    expect(murmur3(new Uint8Array(0), 0)).toBe(0);
    expect(murmur3(new Uint8Array(0), 1)).toBe(0x514e28b7);
    expect(murmur3(new Uint8Array(0), 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0)).toBe(0x76293b50);
    expect(murmur3(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0)).toBe(0xf55b516b);
    expect(murmur3(new Uint8Array([0x21, 0x43, 0x65]), 0)).toBe(0x7e4a8634);
    expect(murmur3(new Uint8Array([0x21, 0x43]), 0)).toBe(0xa0f7b07a);
    expect(murmur3(new Uint8Array([0x21]), 0)).toBe(0x72661cf4);
    expect(hashString('Hello, world!', 1234)).toBe(0xfaf6cdb3);
    expect(hashString('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('hashes the UTF-8 bytes of non-ASCII names', () => {
    expect(hashString('é')).toBe(murmur3(new Uint8Array([0xc3, 0xa9])));
  });

  it('spreads names over rows 1..buckets, never row 0', () => {
    const counts = new Int32Array(65);
    for (let i = 0; i < 64_000; i++) counts[bucketOf(`item-${i}`, 64)]!++;
    expect(counts[0]).toBe(0);
    for (let b = 1; b <= 64; b++) expect(Math.abs(counts[b]! - 1000)).toBeLessThan(150);
  });

  it('gives another assignment under another seed', () => {
    let same = 0;
    for (let i = 0; i < 1000; i++) if (bucketOf(`item-${i}`, 64, 1) === bucketOf(`item-${i}`, 64, 2)) same++;
    expect(same).toBeLessThan(40);
  });
});
