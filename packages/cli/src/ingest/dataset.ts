/**
 * A shop's own data → the trainer's Dataset: the sessions of its analytics export (events/) described by its
 * product feed (feed/). This is where the two meet, with explicit rules, each counted in the report:
 * - an event's item id found in the feed takes the feed's attributes (`itemAttributes`);
 * - an id that is no product of the feed but a feed `item_group_id` (events tagged with the parent product,
 *   the feed listing variants) takes its first variant's attributes, counted as matched by group;
 * - an id the feed lacks keeps what the export itself says about it (category and brand, as the SDK stores
 *   them on a device), counted with examples: a model still has a row for it;
 * - feed products no event names become rows too (cold items): the model scores them through their attributes;
 * - sessions become sequences through the trainer's own builder (`buildDataset`: consecutive repeats of the
 *   same item and kind dropped, sessions under 2 events dropped, both counted).
 */
import { buildDataset, categoryBrandAttrs, type Dataset, type RawEvent } from '@perch/model/data';
import { readEvents, type EventLog, type ReadEventsOptions } from './events/index.js';
import { itemAttributes, readFeed, type Catalog } from './feed/index.js';
import { IngestReport } from './report.js';

export interface ShopSources {
  /** Product feed: path or URL (Merchant Center XML or TSV). Optional: without it, items are described by the export alone. */
  catalog?: string;
  /** Analytics export: path, glob or URL (GA4 BigQuery export, Segment / RudderStack warehouse). */
  events: string;
  eventOptions?: ReadEventsOptions;
  /** progress of reading the feed: bytes read, the total when known, items so far */
  onFeedProgress?: (bytes: number, total: number | undefined, items: number) => void;
  /**
   * What one sequence is: a session as the export defines it (the trainer's unit, default) or a user, all of
   * their sessions in time order (a device's history, the simulator's unit).
   */
  sequence?: 'session' | 'user';
}

export interface ShopData {
  dataset: Dataset;
  /** Everything read and every problem: the feed's (`feed.`), the export's (`events.`) and the join's. */
  report: IngestReport;
}

/** Attributes of the items the export names, from the feed where it has them; counts the matches. */
function describeItems(log: EventLog, catalog: Catalog | undefined, report: IngestReport): { attrs: Map<string, string[]>; categories: Map<string, string> } {
  const attrs = new Map<string, string[]>();
  const categories = new Map<string, string>();
  const fromExport = (i: number): void => {
    const id = log.itemIds[i]!, cat = log.itemCategory[i] ?? '', brand = log.itemBrand[i] ?? '';
    if (cat || brand) attrs.set(id, categoryBrandAttrs(cat, brand));
    if (cat) categories.set(id, cat);
  };
  const fromFeed = (id: string, a: { attrs: string[]; category?: string }): void => {
    if (a.attrs.length) attrs.set(id, a.attrs);
    if (a.category) categories.set(id, a.category);
  };
  for (let i = 0; i < log.itemIds.length; i++) {
    const id = log.itemIds[i]!;
    if (!catalog) { fromExport(i); continue; }
    const it = catalog.items.get(id);
    if (it) { report.count('items.matched_to_feed'); fromFeed(id, itemAttributes(it)); continue; }
    const variants = catalog.groups.get(id);
    const first = variants?.length ? catalog.items.get(variants[0]!) : undefined;
    if (first) {
      report.count('items.matched_by_item_group_id');
      report.add('event item id is a feed item_group_id (a parent product), described by its first variant', 1, [`item ${id} → variant ${first.id}`]);
      fromFeed(id, itemAttributes(first));
      continue;
    }
    report.add('event item id missing from the feed (described by the export\'s own category and brand)', 1, [`item ${id}`]);
    fromExport(i);
  }
  if (catalog) {
    let cold = 0;
    const named = new Set(log.itemIds);
    for (const [id, it] of catalog.items) {
      if (named.has(id)) continue;
      cold++;
      fromFeed(id, itemAttributes(it));
    }
    report.count('items.cold_in_feed_only', cold);
  }
  return { attrs, categories };
}

/**
 * Sessions as the builder's groups, keyed by session or by user (a user's sessions appended in time order:
 * sessions of one user do not overlap, so sorting by start time is sorting by time).
 */
function eventGroups(log: EventLog, by: 'session' | 'user'): Map<string, RawEvent[]> {
  const order = [...log.sessionKeys.keys()];
  if (by === 'user') order.sort((a, b) => log.time[log.offsets[a]!]! - log.time[log.offsets[b]!]! || a - b);
  const groups = new Map<string, RawEvent[]>();
  for (const s of order) {
    const key = by === 'user' ? log.sessionUsers[s]! : log.sessionKeys[s]!;
    let evs = groups.get(key);
    if (!evs) groups.set(key, (evs = []));
    for (let e = log.offsets[s]!; e < log.offsets[s + 1]!; e++) evs.push({ item: log.itemIds[log.item[e]!]!, kind: log.kind[e]!, time: log.time[e]! });
  }
  return groups;
}

/** Reads a shop's feed and export and joins them into a Dataset, with one report of everything. */
export async function readShop(src: ShopSources): Promise<ShopData> {
  const report = new IngestReport();
  const catalog = src.catalog === undefined ? undefined : await readFeed(src.catalog, src.onFeedProgress ? { onProgress: src.onFeedProgress } : {});
  if (catalog) report.merge(catalog.report, 'feed.');
  const log = await readEvents(src.events, src.eventOptions);
  report.merge(log.report, 'events.');
  const meta = describeItems(log, catalog, report);
  const ds = buildDataset(log.source, eventGroups(log, src.sequence ?? 'session'), meta, true);
  report.count('dataset.sequences', ds.sequences.length);
  report.count('dataset.events', ds.stats.events);
  report.count('dataset.items', ds.vocab.length - 1);
  // the builder's rules, not problems of the data: counted, as every reader of the trainer counts them
  report.count('dataset.skipped_repeats_of_previous_event', ds.stats.duplicateEvents);
  report.count('dataset.skipped_sessions_under_2_events', ds.stats.shortSequences);
  report.count('dataset.items_without_attributes', ds.stats.itemsWithoutAttrs);
  return { dataset: ds, report };
}
