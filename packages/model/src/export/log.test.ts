import { describe, expect, it } from 'vitest';
import type { Manifest } from './format.js';
import { chain, EMPTY_HEAD, entryExtends, extendsTo, leafHash, LogError, manifestPosition, nextHead, sealManifest, type LeafSource, type LogPoint } from './log.js';
import { sha256Hex } from './sha256.js';
import { canonicalJson } from './signature.js';
import { sampleManifest, testKey } from './testing/keys.js';

/** A log of n sealed versions, and a leaf source over it that answers at most `page` leaves at a time. */
async function makeLog(n: number, page = 1000) {
  const k = await testKey();
  const entries: (Manifest & { log: NonNullable<Manifest['log']> })[] = [];
  for (let i = 0; i < n; i++) entries.push(await sealManifest(sampleManifest(String(i + 1)), entries[i - 1]?.log ?? null, k.signer));
  const leaves = await Promise.all(entries.map(leafHash));
  const calls: [number, number][] = [];
  const source: LeafSource = async (from, to) => { calls.push([from, to]); return leaves.slice(from, Math.min(to, from + page)); };
  return { entries, leaves, source, calls, point: (i: number): LogPoint => ({ index: i, head: entries[i]!.log.head }) };
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof LogError ? e.code : String(e)));

describe('the version log (hash chain)', () => {
  it('leaf = H(tag ‖ canonical body), head = H(tag ‖ prev ‖ leaf), from 32 zero bytes', async () => {
    const { entries } = await makeLog(2);
    const [a, b] = entries as [Manifest & { log: { index: number; prev: string; head: string } }, Manifest & { log: { index: number; prev: string; head: string } }];
    const { log: _l, signature: _s, ...body } = a;
    expect(await leafHash(a)).toBe(await sha256Hex(`perch-log-leaf-v1\u0000${canonicalJson(body)}`));
    // The leaf ignores the log position and the signature, not the key order.
    expect(await leafHash({ ...body } as Manifest)).toBe(await leafHash(a));
    expect(a.log).toEqual({ index: 0, prev: EMPTY_HEAD, head: await nextHead(EMPTY_HEAD, await leafHash(a)) });
    expect(b.log).toMatchObject({ index: 1, prev: a.log.head });
    const tag = new TextEncoder().encode('perch-log-node-v1\u0000');
    const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
    expect(b.log.head).toBe(await sha256Hex(Uint8Array.from([...tag, ...hex(a.log.head), ...hex(await leafHash(b))])));
    expect(await chain(EMPTY_HEAD, [await leafHash(a), await leafHash(b)])).toBe(b.log.head);
  });

  it('a manifest\'s own position must match its body', async () => {
    const { entries } = await makeLog(2);
    await expect(manifestPosition(entries[1]!)).resolves.toEqual(entries[1]!.log);
    expect(await codeOf(manifestPosition({ ...entries[1]!, modelVersion: '9' }))).toBe('malformed');
    expect(await codeOf(manifestPosition({ ...entries[1]!, log: { ...entries[1]!.log, prev: EMPTY_HEAD } }))).toBe('malformed');
    expect(await codeOf(manifestPosition(sampleManifest()))).toBe('malformed');
    expect(await codeOf(manifestPosition({ ...entries[0]!, log: { ...entries[0]!.log, prev: 'f'.repeat(64) } }))).toBe('malformed');
  });

  it('consistency: the leaves in between lead from an earlier point to a later one, page by page', async () => {
    const log = await makeLog(12, 4);
    await extendsTo(log.point(2), log.point(11), log.source);
    expect(log.calls).toEqual([[3, 12], [7, 12], [11, 12]]);
    await extendsTo(log.point(5), log.point(5), log.source);
    await extendsTo({ index: -1, head: EMPTY_HEAD }, log.point(3), log.source); // from the empty log
    expect(await codeOf(extendsTo(log.point(6), log.point(2), log.source))).toBe('replay');
  });

  it('an entry extends a point through its prev: no leaves for the next entry, the leaves strictly between otherwise', async () => {
    const log = await makeLog(8);
    await entryExtends(log.point(3), log.entries[4]!.log, log.source);
    expect(log.calls).toEqual([]);
    await entryExtends(log.point(4), log.entries[4]!.log, log.source);
    await entryExtends(log.point(1), log.entries[6]!.log, log.source);
    expect(log.calls).toEqual([[2, 6]]);
    expect(await codeOf(entryExtends(log.point(5), log.entries[2]!.log, log.source))).toBe('replay');
    // A tailored entry 4 on the honest prefix extends entry 3, but not the honest entry 4, and the honest entry 5 does not extend it.
    const tailored = await sealManifest({ ...sampleManifest('5'), evaluation: { tailored: true } }, log.point(3), (await testKey()).signer);
    await entryExtends(log.point(3), tailored.log, log.source);
    expect(await codeOf(entryExtends(log.point(4), tailored.log, log.source))).toBe('fork');
    expect(await codeOf(entryExtends({ index: 4, head: tailored.log.head }, log.entries[5]!.log, log.source))).toBe('fork');
  });

  it('a fork (another entry at an index, another head, a short or padded answer) is refused', async () => {
    const log = await makeLog(6);
    // A tailored version 4 for one device: validly sealed by the same key, on the same prefix.
    const k = await testKey();
    const tailored = await sealManifest({ ...sampleManifest('4'), evaluation: { tailored: true } }, log.entries[2]!.log, k.signer);
    expect(tailored.log.index).toBe(3);
    expect(await codeOf(extendsTo({ index: 3, head: tailored.log.head }, log.point(5), log.source))).toBe('fork');
    expect(await codeOf(extendsTo(log.point(3), { index: 3, head: tailored.log.head }, log.source))).toBe('fork');
    expect(await codeOf(extendsTo(log.point(1), { index: 3, head: tailored.log.head }, log.source))).toBe('fork');
    const short: LeafSource = async () => [];
    const padded: LeafSource = async (from, to) => [...log.leaves.slice(from, to), log.leaves[0]!];
    const junk: LeafSource = async (from, to) => Array.from({ length: to - from }, () => 'zz');
    expect(await codeOf(extendsTo(log.point(1), log.point(4), short))).toBe('fork');
    expect(await codeOf(extendsTo(log.point(1), log.point(4), padded))).toBe('fork');
    expect(await codeOf(extendsTo(log.point(1), log.point(4), junk))).toBe('malformed');
  });
});
