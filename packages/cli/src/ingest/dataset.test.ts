// Where the feed and the export meet (dataset.ts): an event item found in the feed takes the feed's attributes,
// one naming a parent item_group_id takes its first variant's, one the feed lacks keeps the export's own
// category and brand, feed products nobody touched become rows; sequences are sessions or users.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dataset } from '@perch/model/data';
import { EVENT_KINDS } from '@perch/model/spec';
import { readShop } from './dataset.js';

const GA4 = fileURLToPath(new URL('./fixtures/ga4/', import.meta.url));
const NOW = new Date('2024-06-01T00:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'perch-shop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Attribute names of one item of a dataset. */
function attrsOf(ds: Dataset, id: string): string[] {
  const r = ds.vocab.indexOf(id);
  expect(r).toBeGreaterThan(0);
  const out: string[] = [];
  for (let j = ds.attrOffsets[r]!; j < ds.attrOffsets[r + 1]!; j++) out.push(ds.attrVocab[ds.attrIds[j]!]!);
  return out;
}

// The fixture's events name SKU_A … SKU_F. This feed lists SKU_A as a product; SKU_B only as the item_group_id
// of two variants (the export tags the parent); SKU_D with other names than the export's; a product no event
// names (NEW-1); and nothing for SKU_C, SKU_E and SKU_F.
const FEED = [
  'id\ttitle\tprice\tbrand\tproduct_type\titem_group_id',
  'SKU_A\tParka\t120.00 USD\tFeedBrand\tWomen > Coats > Parkas\t',
  'SKU_B-S\tTee, small\t15.00 USD\tTeeCo\tWomen > Tops > Tees\tSKU_B',
  'SKU_B-M\tTee, medium\t15.00 USD\tOtherCo\tWomen > Tops\tSKU_B',
  'SKU_D\tTote\t40.00 USD\tBagMaker\tAccessories > Bags > Totes\t',
  'NEW-1\tNew scarf\t25.00 USD\tFeedBrand\tAccessories > Scarves\t',
].join('\n') + '\n';

describe('a shop\'s feed and export into one dataset', async () => {
  writeFileSync(join(dir, 'feed.tsv'), FEED);
  const sources = { events: join(GA4, 'events_*.json'), catalog: join(dir, 'feed.tsv'), eventOptions: { now: NOW } };
  const bySession = await readShop(sources);
  const ds = bySession.dataset, r = bySession.report;

  it('describes an item the feed lists by the feed, and a parent by its first variant', () => {
    expect(attrsOf(ds, 'SKU_A')).toEqual(['cat:Parkas', 'brand:FeedBrand']);
    expect(attrsOf(ds, 'SKU_B')).toEqual(['cat:Tees', 'brand:TeeCo']);
    expect(attrsOf(ds, 'SKU_D')).toEqual(['cat:Totes', 'brand:BagMaker']);
    expect(ds.categories[ds.itemCategory[ds.vocab.indexOf('SKU_A')]!]).toBe('Parkas');
    expect(r.counts.get('items.matched_to_feed')).toBe(2);
    expect(r.counts.get('items.matched_by_item_group_id')).toBe(1);
    expect(r.problems.get('event item id is a feed item_group_id (a parent product), described by its first variant')).toEqual({ count: 1, examples: ['item SKU_B → variant SKU_B-S'] });
  });

  it('keeps the export\'s own category and brand for items the feed lacks, and counts them', () => {
    // as the export names them (events.test.ts): SKU_C has no brand, SKU_E nothing at all
    expect(attrsOf(ds, 'SKU_C')).toEqual(['cat:Accessories']);
    expect(attrsOf(ds, 'SKU_E')).toEqual([]);
    expect(attrsOf(ds, 'SKU_F')).toEqual(['cat:Hats', 'brand:Northwind']);
    const missing = r.problems.get('event item id missing from the feed (described by the export\'s own category and brand)')!;
    expect(missing.count).toBe(3);
    expect([...missing.examples].sort()).toEqual(['item SKU_C', 'item SKU_E', 'item SKU_F']);
  });

  it('adds the feed\'s untouched products as rows with their attributes (cold items)', () => {
    expect(r.counts.get('items.cold_in_feed_only')).toBe(3); // NEW-1 and the two variants of SKU_B
    expect(attrsOf(ds, 'NEW-1')).toEqual(['cat:Scarves', 'brand:FeedBrand']);
    expect(attrsOf(ds, 'SKU_B-M')).toEqual(['cat:Tops', 'brand:OtherCo']);
    for (const s of ds.sequences) for (const row of s.items) expect(['NEW-1', 'SKU_B-S', 'SKU_B-M']).not.toContain(ds.vocab[row]);
  });

  it('merges both readers\' reports under their prefixes', () => {
    expect(r.counts.get('feed.items.kept')).toBe(5);
    expect(r.counts.get('events.sessions')).toBe(5);
    expect([...r.problems.keys()].some((k) => k.startsWith('events.'))).toBe(true);
    expect(r.counts.get('dataset.sequences')).toBe(ds.sequences.length);
  });

  it('makes a user\'s sessions one sequence when asked (the simulator\'s devices)', async () => {
    const byUser = (await readShop({ ...sources, sequence: 'user' })).dataset;
    // three users (events.test.ts): U1's one session, U2's two (T+3600 and the next day), U3's gap sessions
    expect(byUser.sequences.map((s) => s.key).sort()).toEqual(['1197596843.1709280000', '2081416512.1709290000', '394851236.1709294000']);
    const u2 = byUser.sequences.find((s) => s.key === '2081416512.1709290000')!;
    const u2Items = [...u2.items].map((row) => byUser.vocab[row]);
    expect(u2Items[0]).toBe('SKU_A'); // the first session's first view
    expect(u2Items).toContain('SKU_C'); // the first session's
    expect(u2.kinds[u2.kinds.length - 1]).toBe(EVENT_KINDS.indexOf('purchase')); // the next day's purchase last
    // U3's one-event session is too short to be a sequence of its own, but is part of U3's history
    expect(ds.sequences.some((s) => s.key.startsWith('394851236.1709294000/@2024-03-01T13'))).toBe(false);
    expect(byUser.sequences.find((s) => s.key === '394851236.1709294000')!.items.length).toBe(3);
  });
});
