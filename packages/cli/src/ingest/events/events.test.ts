// The export reader on the hand-checked fixtures (../fixtures/*/README.md says which documentation each
// follows and what every line is), with real DuckDB: exact sessions, kinds, items and times, and every count.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_KINDS } from '@perch/model/spec';
import { Db, lit } from './db.js';
import { readEvents, type EventLog } from './index.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const GA4 = join(FIXTURES, 'ga4');
const SEGMENT = join(FIXTURES, 'segment');
const RUDDER = join(FIXTURES, 'rudderstack');
const NOW = new Date('2024-06-01T00:00:00Z');
const K = (k: (typeof EVENT_KINDS)[number]): number => EVENT_KINDS.indexOf(k);
const tmp: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'perch-events-test-'));
  tmp.push(d);
  return d;
};
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

/** Sessions as readable rows: key, user, and each step as [item id, kind, time]. */
function sessions(log: EventLog): { key: string; user: string; steps: [string, string, number][] }[] {
  return log.sessionKeys.map((key, s) => {
    const steps: [string, string, number][] = [];
    for (let e = log.offsets[s]!; e < log.offsets[s + 1]!; e++) steps.push([log.itemIds[log.item[e]!]!, EVENT_KINDS[log.kind[e]!]!, log.time[e]!]);
    return { key, user: log.sessionUsers[s]!, steps };
  });
}
/** Expected sessions in the reader's order: by start time; sessions starting together stay in the order given (their export order). */
const byStart = <T extends { steps: [string, string, number][] }>(rows: T[]): T[] => [...rows].sort((a, b) => a.steps[0]![2] - b.steps[0]![2]);
const problems = (log: EventLog): Record<string, number> => Object.fromEntries([...log.report.problems].map(([r, p]) => [r, p.count]));
const examples = (log: EventLog, reason: string): string[] => (log.report.problems.get(reason)?.examples ?? []).map((e) => e.replaceAll(FIXTURES + '/', ''));

describe('GA4 BigQuery export (newline-delimited JSON, daily tables)', async () => {
  const T = Date.parse('2024-03-01T10:00:00Z') / 1000;
  const T2 = Date.parse('2024-03-02T10:00:00Z') / 1000;
  const U1 = '1197596843.1709280000', U2 = '2081416512.1709290000', U3 = '394851236.1709294000';
  const log = await readEvents(join(GA4, 'events_*.json'), { now: NOW });

  it('detects the format and reads the sessions GA4 defines, in time order', () => {
    expect(log.format).toBe('ga4');
    expect(sessions(log)).toEqual(byStart([
      { key: `${U1}/${T}`, user: U1, steps: [
        ['SKU_B', 'click', T + 10], ['SKU_B', 'view', T + 12], ['SKU_B', 'cart', T + 30],
        ['SKU_B', 'checkout', T + 60], ['SKU_D', 'checkout', T + 60],
        ['SKU_B', 'purchase', T + 120], ['SKU_D', 'purchase', T + 120], ['SKU_E', 'purchase', T + 120],
        ['SKU_B', 'view', T + 300], // "2024-03-01 10:05:00": no zone, read as UTC
      ] },
      { key: `${U2}/${T + 3600}`, user: U2, steps: [['SKU_A', 'view', T + 3600], ['SKU_C', 'view', T + 3660], ['SKU_C', 'view', T + 3720]] },
      // add_to_cart (nanoseconds) and remove_from_cart share a time: file order is kept
      { key: `${U2}/${T2}`, user: U2, steps: [['SKU_A', 'view', T2], ['SKU_A', 'cart', T2 + 60], ['SKU_A', 'remove', T2 + 60], ['SKU_A', 'purchase', T2 + 100]] },
      // no ga_session_id: a new session after 30 minutes of inactivity
      { key: `${U3}/@2024-03-01T12:00:00.000000Z`, user: U3, steps: [['SKU_D', 'view', T + 7200], ['SKU_A', 'view', T + 7800]] },
      { key: `${U3}/@2024-03-01T13:00:00.000000Z`, user: U3, steps: [['SKU_F', 'wishlist', T + 10800]] },
    ]));
    expect(Array.from(log.offsets)).toEqual([0, 9, 12, 14, 15, 19]);
  });

  it('describes items by their most specific category and their brand', () => {
    expect(log.itemIds).toEqual(['SKU_A', 'SKU_B', 'SKU_C', 'SKU_D', 'SKU_E', 'SKU_F']);
    // SKU_B is "Apparel" > "Tops" on most events and "Apparel" alone on one: the more specific wins.
    // SKU_C's brand is "(not set)", GA4's placeholder: no brand.
    expect(log.itemCategory).toEqual(['Outerwear', 'Tops', 'Accessories', 'Bags', '', 'Hats']);
    expect(log.itemBrand).toEqual(['Northwind', 'Fabrikam', '', 'Fabrikam', '', 'Northwind']);
  });

  it('counts what it read', () => {
    expect(Object.fromEntries(log.report.counts)).toEqual({
      files: 2, rows: 33, events: 31,
      'events.view_item': 14, 'events.add_to_cart': 4, 'events.purchase': 2, 'events.add_to_wishlist': 1, 'events.begin_checkout': 1,
      'events.remove_from_cart': 1, 'events.select_item': 1, 'events.view_cart': 1, 'events.view_item_list': 1, 'events.view_search_results': 1,
      skipped_no_intent: 2,
      skipped_other_analytics: 2, 'skipped_other_analytics.page_view': 1, 'skipped_other_analytics.session_start': 1,
      'kept.view_item': 8, 'kept.add_to_cart': 2, 'kept.purchase': 2, 'kept.add_to_wishlist': 1, 'kept.begin_checkout': 1,
      'kept.remove_from_cart': 1, 'kept.select_item': 1, 'kept.view_search_results': 1,
      events_kept: 17, events_kept_without_items: 1,
      users: 3, sessions: 5, 'sessions.by_inactivity_gap': 2, items: 6, entries: 19,
    });
  });

  it('counts every problem, with the file and line of the first few', () => {
    expect(problems(log)).toEqual({
      'e-commerce event that is not shopping behaviour': 2,
      'malformed row': 2,
      'missing user id (user_pseudo_id)': 1,
      'unreadable event_timestamp': 1,
      'non-finite event_timestamp': 1,
      'event_timestamp before 2000': 1,
      'event_timestamp in the future': 1,
      'event needs items but none has an item id': 2,
      'event_timestamp in seconds, not microseconds (converted)': 1,
      'event_timestamp in milliseconds, not microseconds (converted)': 1,
      'event_timestamp in nanoseconds, not microseconds (converted)': 1,
      'event_timestamp without a time zone (read as UTC)': 1,
      'item without an item id (item dropped, event kept)': 1,
      'more than 3 items in an event (extra items dropped)': 1,
      'missing ga_session_id (sessionised by a 1800 s inactivity gap)': 3,
      'duplicate event (same user, session, time, name and items; dropped)': 1,
    });
    expect(examples(log, 'malformed row')).toEqual(['ga4/events_20240301.json:12: invalid JSON', 'ga4/events_20240301.json:26: not a JSON object']);
    expect(examples(log, 'e-commerce event that is not shopping behaviour')[0]).toMatch(/^ga4\/events_20240301\.json:19: refund is not stored: .* \(1 event\)$/);
    expect(examples(log, 'missing user id (user_pseudo_id)')).toEqual(['ga4/events_20240301.json:15']);
    expect(examples(log, 'unreadable event_timestamp')).toEqual(['ga4/events_20240301.json:21: "yesterday"']);
    expect(examples(log, 'non-finite event_timestamp')).toEqual(['ga4/events_20240302.json:2: "NaN"']);
    expect(examples(log, 'event_timestamp before 2000')).toEqual(['ga4/events_20240301.json:22: "946684700000000"']);
    expect(examples(log, 'event_timestamp in the future')).toEqual(['ga4/events_20240301.json:23: "4102444800000000"']);
    expect(examples(log, 'event needs items but none has an item id')).toEqual(['ga4/events_20240301.json:13', 'ga4/events_20240301.json:27']);
    expect(examples(log, 'event_timestamp in seconds, not microseconds (converted)')).toEqual(['ga4/events_20240301.json:11: "1709290860"']);
    expect(examples(log, 'event_timestamp in milliseconds, not microseconds (converted)')).toEqual(['ga4/events_20240301.json:10: "1709290800000"']);
    expect(examples(log, 'event_timestamp in nanoseconds, not microseconds (converted)')).toEqual(['ga4/events_20240302.json:3: "1709373660000000000"']);
    expect(examples(log, 'event_timestamp without a time zone (read as UTC)')).toEqual(['ga4/events_20240301.json:24: "2024-03-01 10:05:00"']);
    expect(examples(log, 'item without an item id (item dropped, event kept)')).toEqual(['ga4/events_20240301.json:14: 1 item(s) without an id']);
    expect(examples(log, 'more than 3 items in an event (extra items dropped)')).toEqual(['ga4/events_20240301.json:9: 1 extra item(s)']);
    expect(examples(log, 'missing ga_session_id (sessionised by a 1800 s inactivity gap)')).toEqual(['ga4/events_20240301.json:16', 'ga4/events_20240301.json:17', 'ga4/events_20240301.json:18']);
    expect(examples(log, 'duplicate event (same user, session, time, name and items; dropped)')).toEqual(['ga4/events_20240301.json:6: same as ga4/events_20240301.json:5']);
  });

  it('drops a daily table exported twice as duplicates (GA4 rewrites a day for up to three days)', async () => {
    const dir = tempDir();
    for (const f of readdirSync(GA4).filter((n) => n.endsWith('.json'))) copyFileSync(join(GA4, f), join(dir, f));
    copyFileSync(join(GA4, 'events_20240302.json'), join(dir, 'events_20240302_copy.json'));
    const again = await readEvents(dir, { now: NOW });
    expect(sessions(again)).toEqual(sessions(log));
    // day 2 keeps 4 events: each is now a duplicate once more
    expect(problems(again)['duplicate event (same user, session, time, name and items; dropped)']).toBe(1 + 4);
    expect(examples(again, 'duplicate event (same user, session, time, name and items; dropped)')[1]).toBe(`${join(dir, 'events_20240302_copy.json')}:1: same as ${join(dir, 'events_20240302.json')}:1`);
  });

  it('closes gap sessions at the gap it is given', async () => {
    const short = await readEvents([join(GA4, 'events_20240301.json'), join(GA4, 'events_20240302.json')], { now: NOW, sessionGapSeconds: 300 });
    // U3's two views 10 minutes apart become two sessions; sessions with ga_session_id are unchanged
    expect(sessions(short).map((s) => s.key)).toEqual([
      `${U1}/${T}`, `${U2}/${T + 3600}`,
      `${U3}/@2024-03-01T12:00:00.000000Z`, `${U3}/@2024-03-01T12:10:00.000000Z`, `${U3}/@2024-03-01T13:00:00.000000Z`,
      `${U2}/${T2}`, // sessions in order of their start
    ]);
    expect(short.report.problems.has('missing ga_session_id (sessionised by a 300 s inactivity gap)')).toBe(true);
  });

  it('reports progress and ends with the rows read', async () => {
    const calls: [number, number | undefined][] = [];
    await readEvents(join(GA4, 'events_*.json'), { now: NOW, onProgress: (d, t) => calls.push([d, t]) });
    expect(calls.at(-1)).toEqual([33, 33]);
  });
});

describe('Segment warehouse (CSV tables)', async () => {
  const T = 1712052000; // 2024-04-02T10:00:00Z
  const log = await readEvents(SEGMENT, { now: NOW });

  it('joins tracks with the per-event tables and sessionises by inactivity per user', () => {
    expect(log.format).toBe('segment');
    expect(sessions(log)).toEqual(byStart([
      // "2024-04-02T12:00:00+02:00" is 10:00Z; the search at 10:03 has no items (no step) but keeps the session alive
      { key: 'a-111/@2024-04-02T10:00:00.000000Z', user: 'a-111', steps: [['P-100', 'view', T], ['SKU-200', 'view', T + 60], ['P-100', 'cart', T + 120]] },
      // timestamp 1712056200000: epoch milliseconds
      { key: 'a-111/@2024-04-02T11:10:00.000000Z', user: 'a-111', steps: [['P-200', 'view', T + 4200]] },
      // user_id before anonymous_id; the order's fourth product has no id, the fifth is one too many
      { key: 'u-42/@2024-04-02T11:00:00.000000Z', user: 'u-42', steps: [
        ['P-100', 'view', T + 3600], ['P-300', 'view', T + 3720],
        ['P-100', 'purchase', T + 4800], ['P-300', 'purchase', T + 4800], ['SKU-200', 'purchase', T + 4800],
      ] },
    ]));
    expect(log.itemIds).toEqual(['P-100', 'P-200', 'P-300', 'SKU-200']);
    expect(log.itemCategory).toEqual(['Shoes', 'Shoes', 'Apparel', 'Bags']);
    expect(log.itemBrand).toEqual(['Acme', 'Initech', 'Globex', 'Globex']);
  });

  it('counts what it read and every problem', () => {
    expect(Object.fromEntries(log.report.counts)).toEqual({
      files: 7, files_skipped_not_track_tables: 1, tracks_rows_joined_to_event_tables: 11, rows: 17, events: 16,
      'events.view_item': 7, 'events.purchase': 2, 'events.add_to_cart': 2, 'events.view_cart': 1, 'events.select_item': 1, 'events.search': 1,
      skipped_no_intent: 1,
      'kept.view_item': 5, 'kept.purchase': 1, 'kept.add_to_cart': 1, 'kept.search': 1,
      events_kept: 8, events_kept_without_items: 1,
      users: 2, sessions: 3, 'sessions.by_inactivity_gap': 3, items: 4, entries: 9,
    });
    expect(problems(log)).toEqual({
      'malformed row': 1,
      'unknown event name': 1,
      'e-commerce event that is not shopping behaviour': 1,
      'event needs items but none has an item id': 4,
      'numeric timestamp, not a date-time string (read as epoch milliseconds)': 1,
      'timestamp without a time zone (read as UTC)': 1,
      'item without an item id (item dropped, event kept)': 1,
      'more than 3 items in an event (extra items dropped)': 1,
      'timestamp missing (received_at used)': 1,
      'products / items is not a JSON array (no items read from it)': 1,
      'duplicate event (same user, session, time, name and items; dropped)': 1,
    });
    expect(examples(log, 'malformed row')).toEqual(['segment/product_viewed.csv:6: missing columns']);
    // lines after the rejected line 6 keep their numbers
    expect(examples(log, 'timestamp missing (received_at used)')).toEqual(['segment/product_viewed.csv:7']);
    expect(examples(log, 'event needs items but none has an item id')).toEqual([
      'segment/order_completed.csv:2', 'segment/product_added.csv:3', 'segment/tracks.csv:3', 'segment/tracks.csv:10',
    ]);
    expect(examples(log, 'duplicate event (same user, session, time, name and items; dropped)')).toEqual(['segment/product_viewed.csv:4: same as segment/product_viewed.csv:3']);
    expect(examples(log, 'unknown event name')).toEqual(['segment/tracks.csv:9: "Signed Up" is not a GA4 e-commerce event or a supported Segment e-commerce v2 event (1 event)']);
  });

  it('reads the same tables as Parquet', async () => {
    const dir = tempDir();
    const db = await Db.open();
    try {
      for (const f of readdirSync(SEGMENT).filter((n) => n.endsWith('.csv'))) {
        await db.run(`COPY (SELECT * FROM read_csv(${lit(join(SEGMENT, f))}, header = true, ignore_errors = true)) TO ${lit(join(dir, f.replace('.csv', '.parquet')))} (FORMAT parquet)`);
      }
    } finally {
      db.close();
    }
    const pq = await readEvents(dir, { now: NOW, format: 'segment' });
    expect(sessions(pq)).toEqual(sessions(log));
    expect(pq.itemCategory).toEqual(log.itemCategory);
  });
});

describe('RudderStack warehouse (newline-delimited JSON tables)', async () => {
  const T = 1712052000;
  const log = await readEvents(RUDDER, { now: NOW });

  it('keys sessions by context_session_id, whatever the gap, and reads stringified and plain product arrays', () => {
    expect(sessions(log)).toEqual(byStart([
      { key: 'anon-9/1712052000000', user: 'anon-9', steps: [['P-1', 'view', T], ['2', 'view', T + 3000]] },
      { key: 'anon-9/1712059200000', user: 'anon-9', steps: [['P-1', 'view', T + 7200], ['SKU-9', 'purchase', T + 7560]] },
      // an identified call is the user_id's: its session is that user's
      { key: 'cust-7/1712059200000', user: 'cust-7', steps: [['P-1', 'purchase', T + 7500], ['2', 'purchase', T + 7500]] },
    ]));
    expect(log.itemCategory).toEqual(['Bags', 'Shoes', 'Candles']);
    expect(problems(log)).toEqual({ 'malformed row': 1 });
    expect(examples(log, 'malformed row')).toEqual(['rudderstack/product_viewed.json:4: invalid JSON']);
    expect(log.report.counts.get('sessions.by_inactivity_gap')).toBe(0);
  });
});

describe('files', () => {
  it('reads gzip-compressed JSON, and a named file of another extension by its content', async () => {
    const dir = tempDir();
    const text = readFileSync(join(GA4, 'events_20240302.json'));
    writeFileSync(join(dir, 'events_20240302.json.gz'), gzipSync(text));
    writeFileSync(join(dir, 'export.txt'), text);
    const plain = await readEvents(join(GA4, 'events_20240302.json'), { now: NOW });
    expect(sessions(await readEvents(join(dir, 'events_20240302.json.gz'), { now: NOW }))).toEqual(sessions(plain));
    expect(sessions(await readEvents(join(dir, 'export.txt'), { now: NOW }))).toEqual(sessions(plain));
    expect(sessions(plain).map((s) => s.steps.length)).toEqual([4]);
  });

  it('gives an empty log, not an error, for an export without shopping behaviour', async () => {
    const dir = tempDir();
    const lines = readFileSync(join(GA4, 'events_20240301.json'), 'utf8').split('\n');
    // session_start and page_view (GA4's own analytics), and a custom event with a misspelt name
    const custom = lines[27]!.replace('"page_view"', '"add_to_crat"');
    writeFileSync(join(dir, 'events_20240301.json'), [lines[0], lines[27], custom].join('\n'));
    const log = await readEvents(join(dir, 'events_20240301.json'), { now: NOW });
    expect(log.sessionKeys).toEqual([]);
    expect(Array.from(log.offsets)).toEqual([0]);
    expect(log.item.length).toBe(0);
    expect(log.report.counts.get('skipped_other_analytics')).toBe(2);
    expect(problems(log)).toEqual({ 'unknown event name': 1 });
    expect(examples(log, 'unknown event name')).toEqual([
      `${join(dir, 'events_20240301.json').replaceAll(FIXTURES + '/', '')}:3: "add_to_crat" is not a GA4 e-commerce event or a supported Segment e-commerce v2 event (1 event)`,
    ]);
  });
});

describe('item names', () => {
  it('keeps categories and brands as track() stores them: a long one cut, personal data refused', async () => {
    const dir = tempDir();
    const long = `Garden ${'x'.repeat(93)}`;
    const ev = { event_timestamp: '1709287200000000', event_name: 'view_item', user_pseudo_id: 'u', event_params: [{ key: 'ga_session_id', value: { int_value: '1' } }],
      items: [{ item_id: 'A', item_category: long, item_brand: 'owner@example.com' }] };
    writeFileSync(join(dir, 'events_20240301.json'), JSON.stringify(ev) + '\n');
    const log = await readEvents(dir, { now: NOW });
    expect(log.itemCategory).toEqual([long.slice(0, 64)]);
    expect(log.itemBrand).toEqual(['']);
    expect(problems(log)).toEqual({ 'item category cut to 64 characters': 1, 'item brand refused': 1 });
    expect(examples(log, 'item brand refused')[0]).toMatch(/^item "A" brand: /);
    expect(examples(log, 'item brand refused')[0]).not.toContain('owner@example.com');
  });
});

describe('usage errors', () => {
  it('throws a clear error for a path that names nothing, a glob without matches and an unknown layout', async () => {
    await expect(readEvents(join(GA4, 'nope.json'))).rejects.toThrow(/no such file or directory/);
    await expect(readEvents(join(GA4, 'events_1999*.json'))).rejects.toThrow(/no file matches/);
    await expect(readEvents(join(SEGMENT, 'pages.csv'))).rejects.toThrow(/cannot tell the export's format/);
    await expect(readEvents(join(SEGMENT, 'tracks.csv'), { format: 'ga4' })).rejects.toThrow(/not CSV/);
    await expect(readEvents(join(GA4, 'events_*.json'), { sessionGapSeconds: -1 })).rejects.toThrow(/sessionGapSeconds/);
  });
});
