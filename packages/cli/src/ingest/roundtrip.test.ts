// The REES46 sample as a shop holds it (a GA4 BigQuery export and a Merchant Center feed, written by
// roundtrip/rees46-to-shop.ts) must read back as the dataset the REES46 reader makes of the CSV: the same
// sessions in the same order, the same items in the same rows, the same attributes and categories. The trainer
// is deterministic for a seed on one thread, so the same dataset trains the same model (the figures of both
// paths are in docs/onboarding.md).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventLog, type Dataset } from '@perch/model/data';
import { readShop } from './dataset.js';
import { rees46ToShop } from './roundtrip/rees46-to-shop.js';

const REES46 = resolve(fileURLToPath(new URL('../../../../../shared/data/rees46-sample/events.csv', import.meta.url)));

/** Item attributes by item id, sorted, for comparing two datasets whose attribute rows may differ. */
function attrsById(ds: Dataset): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let r = 1; r < ds.vocab.length; r++) {
    const names: string[] = [];
    for (let j = ds.attrOffsets[r]!; j < ds.attrOffsets[r + 1]!; j++) names.push(ds.attrVocab[ds.attrIds[j]!]!);
    out.set(ds.vocab[r]!, names.sort());
  }
  return out;
}

describe('REES46 round trip through a GA4 export and a Merchant Center feed', () => {
  let dir: string;
  let csvPath: Dataset;
  let shop: Awaited<ReturnType<typeof readShop>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'perch-roundtrip-'));
    const csv = readFileSync(REES46, 'utf8');
    const conv = rees46ToShop(csv);
    writeFileSync(join(dir, 'events_20191001.json'), conv.ga4);
    writeFileSync(join(dir, 'feed.xml'), conv.feed);
    csvPath = parseEventLog(csv, 'events.csv');
    shop = await readShop({ events: join(dir, 'events_*.json'), catalog: join(dir, 'feed.xml') });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every event and every product; the one problem is the sample\'s own five exact duplicate rows', () => {
    const r = shop.report;
    // The CSV repeats five rows exactly (same user, session, second, product and type): the export reader drops
    // them as duplicates, the CSV reader as repeats of the previous event; either way they are counted.
    expect([...r.problems.keys()]).toEqual(['events.duplicate event (same user, session, time, name and items; dropped)']);
    expect(r.problemCount).toBe(5);
    expect(r.counts.get('events.rows')).toBe(17_434);
    expect(r.counts.get('events.events_kept')).toBe(17_429);
    expect(r.counts.get('feed.items.kept')).toBe(6_493);
    expect(r.counts.get('items.matched_to_feed')).toBe(shop.dataset.vocab.length - 1);
    expect(r.counts.get('items.cold_in_feed_only')).toBe(0);
  });

  it('gives the same sessions, in the same order, with the same items, kinds and time gaps', () => {
    const a = csvPath, b = shop.dataset;
    expect(b.sequences.length).toBe(a.sequences.length);
    expect(b.stats.events).toBe(a.stats.events);
    expect(b.stats.duplicateEvents + 5).toBe(a.stats.duplicateEvents);
    expect(b.stats.shortSequences).toBe(a.stats.shortSequences);
    for (let i = 0; i < a.sequences.length; i++) {
      const x = a.sequences[i]!, y = b.sequences[i]!;
      expect([...y.items].map((r) => b.vocab[r])).toEqual([...x.items].map((r) => a.vocab[r]));
      expect(y.kinds).toEqual(x.kinds);
      expect(y.gaps).toEqual(x.gaps);
    }
  });

  it('gives the same item rows, attributes and categories', () => {
    const a = csvPath, b = shop.dataset;
    expect(b.vocab).toEqual(a.vocab);
    expect(b.attrVocab).toEqual(a.attrVocab);
    expect(attrsById(b)).toEqual(attrsById(a));
    expect(b.categories).toEqual(a.categories);
    expect(b.itemCategory).toEqual(a.itemCategory);
    expect(b.typedEvents).toBe(true);
  });
});
