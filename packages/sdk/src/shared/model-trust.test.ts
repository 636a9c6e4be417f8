import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@perch/model/export';
import { readTrust, uncheckedVerdict } from './model-trust.js';

const KEY = 'A'.repeat(43);
const g = globalThis as { location?: { href: string } };
const saved = g.location;
beforeAll(() => { g.location = { href: 'https://shop.example/p/page.html' }; });
afterAll(() => { g.location = saved; });

describe('readTrust (the page\'s pinned model keys, log and witness)', () => {
  it('pins nothing without keys or with an empty list', () => {
    expect(readTrust(undefined, undefined, 'https://agg.example', undefined)).toBeNull();
    expect(readTrust([], { witnessUrl: '/w.json' }, 'https://agg.example', undefined)).toBeNull();
  });

  it('keeps malformed keys, so that they fail closed instead of turning the checks off', () => {
    expect(readTrust('not-a-list', undefined, undefined, undefined)?.keys).toEqual(['not-a-list']);
    expect(readTrust([KEY, 42], undefined, undefined, undefined)?.keys).toEqual([KEY, '42']);
  });

  it('the log is the aggregator\'s /v1/log, else the one beside a /v1/model/ URL; the witness URL is made absolute', () => {
    expect(readTrust([KEY], { witnessUrl: '/witness/cp.json' }, 'https://agg.example/', 'https://cdn.example/m.json')).toEqual({
      keys: [KEY], witnessUrl: 'https://shop.example/witness/cp.json', logUrl: 'https://agg.example/v1/log',
    });
    expect(readTrust([KEY], undefined, undefined, 'https://agg.example/base/v1/model/manifest.json')).toEqual({ keys: [KEY], logUrl: 'https://agg.example/base/v1/log' });
    expect(readTrust([KEY], undefined, undefined, '/perch/model/manifest.json')).toEqual({ keys: [KEY] });
    const hostile = { get witnessUrl(): string { throw new Error('trap'); } };
    expect(readTrust([KEY], hostile, undefined, undefined)).toEqual({ keys: [KEY] });
  });

  it('without pinned keys a manifest is described, not checked', () => {
    const m = { modelVersion: '3', log: { index: 2, prev: '0'.repeat(64), head: 'f'.repeat(64) }, signature: { alg: 'Ed25519', keyId: 'abcd', value: 'x' } } as unknown as Manifest;
    expect(uncheckedVerdict(m)).toEqual({ signature: { status: 'unchecked', keyId: 'abcd' }, log: { index: 2, head: 'f'.repeat(64), checked: false } });
    expect(uncheckedVerdict({ modelVersion: '1' } as Manifest)).toEqual({ signature: { status: 'unsigned' } });
  });
});
