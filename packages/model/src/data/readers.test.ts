import { describe, expect, it } from 'vitest';
import { EVENT_KINDS } from '../spec.js';
import { gapBucket, UNKNOWN_GAP } from './gap.js';
import { parseEventLog } from './parse-events.js';
import { looksLikeExport, parseExports } from './parse-export.js';
import { parseSequenceFile } from './parse-sequences.js';

describe('parseSequenceFile', () => {
  it('reports malformed lines with file and line number, skips and counts them', () => {
    const ds = parseSequenceFile('u1 1 2 3\n\nu2\nu1 4 5\nu3 7\nu4 2 2 3\n', 'seq.txt', '{"1":[10,11],"2":[11],"9":[12],"3":"x"}', 'a.json');
    expect(ds.stats.malformed).toBe(3); // u2 without items, u1 twice, item 3 attrs not an array
    expect(ds.stats.problems).toContain('seq.txt:3: user u2 has no items');
    expect(ds.stats.problems).toContain('seq.txt:4: user u1 appears twice');
    expect(ds.stats.problems.some((p) => p.startsWith('a.json: item 3'))).toBe(true);
    expect(ds.stats.shortSequences).toBe(1); // u3 has one event
    expect(ds.stats.duplicateEvents).toBe(1); // u4 repeats item 2
    expect(ds.sequences.map((s) => s.key)).toEqual(['u1', 'u4']);
    // 7 (only in a dropped sequence) stays in the vocabulary; 9 (attributes only) is a cold-start row
    expect(ds.vocab).toEqual(['', '1', '2', '3', '7', '9']);
    expect(ds.stats.itemsWithoutAttrs).toBe(2); // 3 (bad entry) and 7
    const attrsOf = (id: string): string[] => { const r = ds.vocab.indexOf(id); return Array.from(ds.attrIds.subarray(ds.attrOffsets[r]!, ds.attrOffsets[r + 1]!), (a) => ds.attrVocab[a]!); };
    expect(attrsOf('1')).toEqual(['10', '11']);
    expect(attrsOf('9')).toEqual(['12']);
    expect(attrsOf('7')).toEqual([]);
  });
  it('rejects invalid attribute JSON with the file name', () => {
    expect(() => parseSequenceFile('u 1 2', 's', '{oops', 'bad.json')).toThrow(/bad\.json: invalid JSON/);
  });
});

describe('parseEventLog', () => {
  const csv = [
    'event_time,event_type,product_id,category_code,brand,price,user_id,user_session',
    '2019-10-01 00:00:05 UTC,view,p1,a.b,acme,1.0,u1,s1',
    '2019-10-01 00:00:00 UTC,view,p2,,,2.0,u1,s1', // earlier: sorted first
    '2019-10-01 00:00:30 UTC,cart,p1,a.b,acme,1.0,u1,s1',
    '2019-10-01 00:00:31 UTC,cart,p1,a.b,acme,1.0,u1,s1', // duplicate of the previous event
    'garbage line',
    '2019-10-01 00:01:00 UTC,teleport,p3,,,1,u1,s1',
    'not a date,view,p3,,,1,u1,s1',
    '2019-10-01 00:10:00 UTC,purchase,p1,a.b,acme,1.0,u1,s1',
    '2019-10-01 00:00:00 UTC,view,p9,"x,y",,1,u2,s2', // one-event session
  ].join('\n');
  const ds = parseEventLog(csv, 'ev.csv');

  it('reports bad lines with line numbers and counts every kind of problem', () => {
    expect(ds.stats.malformed).toBe(2);
    expect(ds.stats.problems).toContain('ev.csv:6: expected 8 columns, got 1');
    expect(ds.stats.problems).toContain('ev.csv:7: unknown event type "teleport"');
    expect(ds.stats.nonFinite).toBe(1);
    expect(ds.stats.problems).toContain('ev.csv:8: non-finite timestamp "not a date"');
    expect(ds.stats.duplicateEvents).toBe(1);
    expect(ds.stats.shortSequences).toBe(1);
  });
  it('builds time-ordered sessions with kinds, gap buckets, attributes and categories', () => {
    expect(ds.typedEvents).toBe(true);
    const s = ds.sequences[0]!;
    expect(Array.from(s.items, (i) => ds.vocab[i])).toEqual(['p2', 'p1', 'p1', 'p1']);
    expect(Array.from(s.kinds, (k) => EVENT_KINDS[k])).toEqual(['view', 'view', 'cart', 'purchase']);
    expect(Array.from(s.gaps)).toEqual([UNKNOWN_GAP, gapBucket(5), gapBucket(25), gapBucket(570)]);
    expect(ds.categories[ds.itemCategory[ds.vocab.indexOf('p1')]!]).toBe('a.b');
    expect(ds.categories[ds.itemCategory[ds.vocab.indexOf('p9')]!]).toBe('x,y');
    expect(ds.itemCategory[ds.vocab.indexOf('p2')]).toBe(0);
  });
  it('reads JSON Lines and reports invalid JSON', () => {
    const jl = '{"timestamp":1000,"type":"view","item_id":"a","session_id":"s"}\n{bad\n{"timestamp":1002,"type":"add_to_cart","item_id":"b","session_id":"s"}\n{"timestamp":"Infinity","type":"view","item_id":"c","session_id":"s"}';
    const d = parseEventLog(jl, 'ev.jsonl');
    expect(d.stats.problems).toContain('ev.jsonl:2: invalid JSON');
    expect(d.stats.nonFinite).toBe(1);
    expect(Array.from(d.sequences[0]!.kinds, (k) => EVENT_KINDS[k])).toEqual(['view', 'cart']);
    expect(d.sequences[0]!.gaps[1]).toBe(gapBucket(2));
  });
  it('rejects a header without item, type and session columns', () => {
    expect(() => parseEventLog('a,b,c\n1,2,3', 'x.csv')).toThrow(/x\.csv:1: header/);
  });
});

describe('gapBucket', () => {
  it('maps seconds to the first bucket whose bound is not exceeded; bad values to unknown', () => {
    expect([0, 5, 10, 11, 3600, 1e9].map(gapBucket)).toEqual([0, 1, 1, 2, 5, 8]);
    expect([NaN, -1, undefined, Infinity].map(gapBucket)).toEqual([UNKNOWN_GAP, UNKNOWN_GAP, UNKNOWN_GAP, UNKNOWN_GAP]);
  });
});

describe('parseExports', () => {
  const ev = (type: string, ts: number, items: unknown[]) => ({ v: 1, type, ts, items });
  const exp = (events: unknown[]) => ({ format: 'perch-export', version: 1, exportedAt: 0, consent: {}, consentLog: [], events, rejected: [] });
  const one = exp([
    ev('view_item_list', 1_000, [{ id: 'a' }, { id: 'b' }]), // impression: no intent, skipped silently
    ev('view_item', 2_000, [{ id: 'a', category: 'Shoes', brand: 'Acme' }]),
    ev('view_item', 2_500, [{ id: 'a' }]), // same item and kind as before: duplicate
    ev('add_to_cart', 62_000, [{ id: 'b' }, { id: 'c' }, { id: 'd' }, { id: 'e' }]), // at most 3 items per event
    ev('teleport', 63_000, [{ id: 'x' }]),
    ev('purchase', Number.NaN, [{ id: 'b' }]),
    ev('select_item', 64_000, [{ name: 'no id' }]),
    'not an event',
  ]);

  it('reads one export as one user, mapped as the SDK worker maps events; problems counted with where they are', () => {
    const ds = parseExports(JSON.stringify(one), 'me.json');
    expect(ds.sequences).toHaveLength(1);
    const s = ds.sequences[0]!;
    expect(Array.from(s.items, (r) => ds.vocab[r])).toEqual(['a', 'b', 'c', 'd']);
    expect(Array.from(s.kinds, (k) => EVENT_KINDS[k])).toEqual(['view', 'cart', 'cart', 'cart']);
    expect(s.gaps[1]).toBe(gapBucket(60)); // ts is in milliseconds
    expect(ds.stats.duplicateEvents).toBe(1);
    expect(ds.stats.nonFinite).toBe(1);
    expect(ds.stats.malformed).toBe(3); // unknown type, item without id, not an object
    expect(ds.stats.problems).toContain('me.json: event 4: unknown event type "teleport"');
    expect(ds.stats.problems).toContain('me.json: event 7: not an object');
    const a = ds.vocab.indexOf('a');
    expect(Array.from(ds.attrIds.subarray(ds.attrOffsets[a]!, ds.attrOffsets[a + 1]!), (x) => ds.attrVocab[x])).toEqual(['cat:Shoes', 'brand:Acme']);
    expect(ds.categories[ds.itemCategory[a]!]).toBe('Shoes');
    expect(ds.typedEvents).toBe(true);
  });

  it('reads an array of exports and JSON Lines; refuses what is not a version-1 export', () => {
    const two = exp([ev('view_item', 1, [{ id: 'p' }]), ev('view_item', 2, [{ id: 'q' }])]);
    const arr = parseExports(JSON.stringify([one, two, { format: 'other' }, { ...two, version: 2 }]), 'all.json');
    expect(arr.sequences.map((s) => s.key)).toEqual(['all.json#0', 'all.json#1']);
    expect(arr.stats.problems).toContain('all.json#2: not a perch-export object');
    expect(arr.stats.problems).toContain('all.json#3: unsupported export version 2');
    const lines = parseExports(`${JSON.stringify(two)}\n{oops\n\n${JSON.stringify(two)}\n`, 'all.jsonl');
    expect(lines.sequences.map((s) => s.key)).toEqual(['all.jsonl:1', 'all.jsonl:4']);
    expect(lines.stats.problems).toContain('all.jsonl:2: invalid JSON');
  });

  it('is recognised by content, before the event-log reader (both can start with "{")', () => {
    expect(looksLikeExport(JSON.stringify(one))).toBe(true);
    expect(looksLikeExport(`[${JSON.stringify(one)}]`)).toBe(true);
    expect(looksLikeExport('{"event_type":"view","product_id":"p1","user_id":"u"}')).toBe(false);
    expect(looksLikeExport('u1 1 2 3')).toBe(false);
  });
});
