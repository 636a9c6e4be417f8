/**
 * A seeded GA4 BigQuery export of N events, written by DuckDB from one generated query (COPY … TO): Parquet or
 * newline-delimited JSON (BigQuery's JSON export conventions: INT64 as strings). Same seed, same rows in the
 * same order (DuckDB's `hash`, pinned with the package).
 *
 * What it holds, shaped like a web shop's export (https://support.google.com/analytics/answer/7029846):
 * - users (`user_pseudo_id` as GA4 writes it, "<random>.<first visit>") with about 3 sessions each, spread
 *   over 30 days from 2024-03-01; sessions of 1–15 events, ~45 s apart, each with `ga_session_id` (the
 *   session's start in seconds) and `ga_session_number` event parameters, opening with `session_start`;
 * - the event mix of a shop: page views and engagement (not e-commerce) around the e-commerce funnel
 *   (list views, item views, clicks, carts, checkouts, purchases, searches, wishlists, promotions);
 * - items with ids `SKU_000123`, two or three category levels and a brand, drawn with Zipf-like popularity
 *   (log-uniform ranks: item r is chosen about 1/(r+1) as often as the first); 1 item on item events,
 *   1–4 on cart, checkout and purchase events, 4–12 on list views;
 * - `dirty` (a fraction, default 0): that share of events exported twice, and as much again with
 *   `event_timestamp` in milliseconds, so that the reader's duplicate and unit checks have work to do.
 *
 * Usage: `npx tsx packages/cli/src/ingest/events/generate-ga4.ts --events 1000000 --out /tmp/ga4.parquet
 * [--seed 1] [--items 5000] [--dirty 0.001]` (`.parquet`, or `.json` / `.ndjson` for JSON).
 */
import { pathToFileURL } from 'node:url';
import { Db, lit } from './db.js';

export interface GenerateGa4Options {
  events: number;
  out: string;
  seed?: number;
  /** Distinct items (default: one per 200 events, at least 1,000). */
  items?: number;
  dirty?: number;
  format?: 'parquet' | 'json';
  memoryLimit?: string;
  threads?: number;
}

/** The event mix (per 10,000 events after each session's `session_start`). */
const MIX: ReadonlyArray<readonly [string, number]> = [
  ['page_view', 2400], ['user_engagement', 900], ['scroll', 400], ['view_item_list', 1200], ['view_item', 2300],
  ['select_item', 700], ['add_to_cart', 600], ['remove_from_cart', 100], ['view_cart', 200], ['begin_checkout', 200],
  ['add_shipping_info', 80], ['add_payment_info', 70], ['purchase', 80], ['view_search_results', 200],
  ['add_to_wishlist', 70], ['view_promotion', 500],
];
const ONE_ITEM = ['view_item', 'select_item', 'add_to_cart', 'remove_from_cart', 'add_to_wishlist'];
const FEW_ITEMS = ['view_cart', 'begin_checkout', 'add_shipping_info', 'add_payment_info', 'purchase'];
const CATEGORIES = ['Apparel', 'Shoes', 'Bags', 'Accessories', 'Home', 'Beauty', 'Sports', 'Kids'];

/** 2024-03-01T00:00:00Z and the 30 days the sessions start in. */
const T0 = 1709251200;
const SPAN = 30 * 86400;

/** The generating query (rows in a fixed order). */
export function ga4Query(o: Required<Pick<GenerateGa4Options, 'events' | 'seed' | 'items' | 'dirty'>>, text: boolean): string {
  const { events: n, seed, items: k, dirty } = o;
  // Sessions average 8 events; 2% more than that (about 13 standard deviations of their total) so that the
  // first n events always exist. About 3 sessions per user.
  const sessions = Math.ceil((n / 8) * 1.02) + 64;
  const users = Math.max(1, Math.round(n / 24));
  const u01 = (args: string): string => `(hash(${seed}, ${args}) / 18446744073709551616.0)`;
  const h = (args: string): string => `CAST(hash(${seed}, ${args}) >> 1 AS BIGINT)`;
  let acc = 0;
  const mix = MIX.map(([name, w]) => `WHEN r < ${(acc += w)} THEN '${name}'`).join(' ');
  const int = (x: string): string => (text ? `CAST(${x} AS VARCHAR)` : `CAST(${x} AS BIGINT)`);
  const dupEvery = dirty > 0 ? Math.max(2, Math.round(1 / dirty)) : 0;
  const param = (key: string, s: string, i: string): string =>
    `{'key': '${key}', 'value': {'string_value': ${s}, 'int_value': ${i === 'NULL' ? (text ? 'NULL::VARCHAR' : 'NULL::BIGINT') : int(i)}, 'float_value': NULL::DOUBLE, 'double_value': NULL::DOUBLE}}`;
  const item = (rk: string): string => `{
      'item_id': 'SKU_' || lpad(CAST(${rk} AS VARCHAR), 6, '0'), 'item_name': 'Product ' || ${rk},
      'item_brand': 'Brand ' || (${h(`${rk}, 5`)} % 400), 'item_variant': NULL::VARCHAR,
      'item_category': [${CATEGORIES.map(lit).join(', ')}][(${h(`${rk}, 6`)} % ${CATEGORIES.length}) + 1],
      'item_category2': 'Line ' || (${h(`${rk}, 7`)} % 12),
      'item_category3': CASE WHEN ${h(`${rk}, 8`)} % 10 < 6 THEN 'Type ' || (${h(`${rk}, 9`)} % 20) END,
      'item_category4': NULL::VARCHAR, 'item_category5': NULL::VARCHAR,
      'price_in_usd': round(2 + (${h(`${rk}, 10`)} % 30000) / 100.0, 2), 'price': round(2 + (${h(`${rk}, 10`)} % 30000) / 100.0, 2),
      'quantity': ${int('1')}, 'item_revenue_in_usd': NULL::DOUBLE, 'item_revenue': NULL::DOUBLE,
      'coupon': NULL::VARCHAR, 'affiliation': NULL::VARCHAR, 'location_id': NULL::VARCHAR,
      'item_list_id': NULL::VARCHAR, 'item_list_name': NULL::VARCHAR, 'item_list_index': CAST(j + 1 AS VARCHAR),
      'promotion_id': NULL::VARCHAR, 'promotion_name': NULL::VARCHAR, 'creative_name': NULL::VARCHAR, 'creative_slot': NULL::VARCHAR}`;
  return `
    WITH sess AS (
      SELECT s, 1 + ${h('s, 1')} % 15 AS len, ${h('s, 2')} % ${users} AS u, ${T0} + ${h('s, 3')} % ${SPAN} AS start_s
      FROM range(${sessions}) t(s)
    ), cum AS (
      SELECT *, sum(len) OVER (ORDER BY s ROWS UNBOUNDED PRECEDING) - len AS before FROM sess
    ), ev0 AS (
      SELECT s, u, start_s, before + kk AS i, kk FROM (SELECT *, unnest(range(len)) AS kk FROM cum) WHERE before + kk < ${n}
      ORDER BY i
    ), ev AS (
      SELECT *,
        start_s * 1000000 + kk * 45000000 + ${h('i, 11')} % 40000000 AS ts_us,
        ${h('i, 12')} % 10000 AS r
      FROM ev0
    ), named AS (
      SELECT *, CASE WHEN kk = 0 THEN 'session_start' ELSE CASE ${mix} ELSE 'page_view' END END AS name FROM ev
    ), sized AS (
      SELECT *, CASE WHEN name = 'view_item_list' THEN 4 + ${h('i, 13')} % 9
        WHEN name IN (${ONE_ITEM.map(lit).join(', ')}) THEN 1
        WHEN name IN (${FEW_ITEMS.map(lit).join(', ')}) THEN 1 + ${h('i, 14')} % 4 ELSE 0 END AS nitems
      FROM named
    ), rows AS (
      SELECT i, ts_us, name, u, start_s, kk,
        list_transform(range(nitems), lambda j: (floor(exp(${u01('i, j, 15')} * ln(${k + 1}))) - 1)::BIGINT) AS ranks
      FROM sized
    ), out AS (
      SELECT i,
        strftime(make_timestamp(ts_us), '%Y%m%d') AS event_date,
        ${int(dupEvery ? `CASE WHEN i % ${dupEvery} = 1 THEN ts_us // 1000 ELSE ts_us END` : 'ts_us')} AS event_timestamp,
        name AS event_name,
        [${param('ga_session_id', 'NULL::VARCHAR', 'start_s')}, ${param('ga_session_number', 'NULL::VARCHAR', `1 + ${h('u, start_s, 16')} % 5`)},
         ${param('page_location', `'https://shop.example/' || CASE WHEN len(ranks) = 1 THEN 'p/' || ranks[1] ELSE 'c/' || (${h('i, 17')} % 40) END`, 'NULL')},
         ${param('engagement_time_msec', 'NULL::VARCHAR', `${h('i, 18')} % 30000`)}] AS event_params,
        ${text ? 'NULL::VARCHAR' : 'NULL::BIGINT'} AS event_previous_timestamp, NULL::DOUBLE AS event_value_in_usd,
        ${int('kk + 1')} AS event_bundle_sequence_id, ${text ? 'NULL::VARCHAR' : 'NULL::BIGINT'} AS event_server_timestamp_offset,
        NULL::VARCHAR AS user_id,
        CAST(100000000 + ${h('u, 19')} % 1900000000 AS VARCHAR) || '.' || CAST(${T0} - ${h('u, 20')} % 8640000 AS VARCHAR) AS user_pseudo_id,
        {'analytics_storage': 'Yes', 'ads_storage': 'Yes', 'uses_transient_token': 'No'} AS privacy_info,
        {'category': ['desktop', 'mobile', 'tablet'][1 + ${h('u, 21')} % 3], 'operating_system': ['Windows', 'Android', 'iOS', 'Macintosh'][1 + ${h('u, 22')} % 4],
         'language': 'en-us', 'web_info': {'browser': ['Chrome', 'Safari', 'Firefox', 'Edge'][1 + ${h('u, 23')} % 4], 'hostname': 'shop.example'}} AS device,
        {'country': ['Germany', 'France', 'United States', 'United Kingdom', 'Spain'][1 + ${h('u, 24')} % 5], 'city': '(not set)'} AS geo,
        '5432109876' AS stream_id, 'WEB' AS platform,
        CASE WHEN name = 'purchase' THEN {'total_item_quantity': ${int('len(ranks)')}, 'purchase_revenue_in_usd': 10.0 * len(ranks),
          'purchase_revenue': 10.0 * len(ranks), 'unique_items': ${int('len(ranks)')}, 'transaction_id': 'T' || i} END AS ecommerce,
        list_transform(range(len(ranks)), lambda j: ${item('ranks[j + 1]')}) AS items
      FROM rows
    )
    SELECT * EXCLUDE (i) FROM out
    ${dupEvery ? `UNION ALL SELECT * EXCLUDE (i) FROM out WHERE i % ${dupEvery} = 0` : ''}`;
}

/** Writes the export; returns the number of rows written (events plus dirty duplicates). */
export async function generateGa4(opts: GenerateGa4Options): Promise<number> {
  const events = Math.floor(opts.events);
  if (!(events > 0)) throw new Error('events must be a positive number');
  const format = opts.format ?? (/\.(json|ndjson|jsonl)$/i.test(opts.out) ? 'json' : 'parquet');
  const q = ga4Query({ events, seed: opts.seed ?? 1, items: opts.items ?? Math.max(1000, Math.round(events / 200)), dirty: opts.dirty ?? 0 }, format === 'json');
  const db = await Db.open({ memoryLimit: opts.memoryLimit ?? '2GB', ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  try {
    // Row order is part of the output: keep the query's order.
    await db.run('SET preserve_insertion_order = true');
    await db.run(`COPY (${q}) TO ${lit(opts.out)} (FORMAT ${format === 'json' ? 'json' : "parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"})`);
    return await db.number(format === 'json'
      ? `SELECT count(*) FROM read_csv(${lit(opts.out)}, columns = {'l': 'VARCHAR'}, header = false, auto_detect = false, delim = E'\\x01\\x02\\x03\\x04', quote = '', escape = '')`
      : `SELECT sum(num_rows) FROM parquet_file_metadata(${lit(opts.out)})`);
  } finally {
    db.close();
  }
}

function arg(name: string, argv: string[]): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const out = arg('out', argv);
  if (!out) {
    console.error('usage: generate-ga4.ts --events N --out FILE.parquet|FILE.json [--seed S] [--items K] [--dirty F]');
    process.exit(2);
  }
  const t0 = performance.now();
  const rows = await generateGa4({
    events: Number(arg('events', argv) ?? 100_000),
    out,
    seed: Number(arg('seed', argv) ?? 1),
    ...(arg('items', argv) ? { items: Number(arg('items', argv)) } : {}),
    dirty: Number(arg('dirty', argv) ?? 0),
  });
  console.error(`wrote ${rows} rows to ${out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
