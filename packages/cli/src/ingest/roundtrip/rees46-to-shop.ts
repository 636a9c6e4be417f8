/**
 * The REES46 sample as a shop would hold it: its events as a GA4 BigQuery export (newline-delimited JSON, one
 * object per event, the export's field names and types) and its products as a Merchant Center RSS 2.0 feed.
 * Reading both back through `--catalog` / `--events` must give the dataset the REES46 reader gives, which is
 * what the round-trip test checks (ingest/roundtrip.test.ts).
 *
 * What is mapped, and how:
 * - `event_type` view / cart / purchase → GA4 `view_item` / `add_to_cart` / `purchase`, with the product as
 *   the event's one item (`item_id`, `item_brand`, `item_category`, `price`, `quantity` 1);
 * - `event_time` (UTC) → `event_timestamp` in microseconds and `event_date` (YYYYMMDD, read here as UTC);
 * - `user_id` → `user_pseudo_id`; `user_session` (a UUID) → the `ga_session_id` event parameter, an integer
 *   numbered per user in order of first appearance, as GA4's are per user;
 * - each product → one feed item: `g:id`, `g:title`, `g:brand`, `g:product_type` (the category code as the
 *   shop's own category, one level), `g:price` ("35.79 USD"), `g:availability` in_stock. A product seen
 *   with several brands or categories takes the last one, as the REES46 reader does.
 *
 * Usage: `npx tsx packages/cli/src/ingest/roundtrip/rees46-to-shop.ts EVENTS.csv OUT_DIR` writes
 * `OUT_DIR/events_20191001.json` and `OUT_DIR/feed.xml`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { splitCsvLine } from '@perch/model/data';

const GA4_NAME: Record<string, string> = { view: 'view_item', cart: 'add_to_cart', purchase: 'purchase' };

interface Product { brand: string; category: string; price: string }

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Converts the REES46 CSV text; returns the GA4 export (NDJSON) and the feed (RSS 2.0 XML). */
export function rees46ToShop(csv: string): { ga4: string; feed: string; events: number; products: number } {
  const lines = csv.split('\n');
  const header = splitCsvLine(lines[0]!.trim());
  const col = (n: string): number => {
    const i = header.indexOf(n);
    if (i < 0) throw new Error(`REES46 header lacks ${n}`);
    return i;
  };
  const [cTime, cType, cItem, cCat, cBrand, cPrice, cUser, cSession] =
    ['event_time', 'event_type', 'product_id', 'category_code', 'brand', 'price', 'user_id', 'user_session'].map(col) as number[];
  const sessionIds = new Map<string, number>(); // user_session → ga_session_id
  const perUser = new Map<string, number>();
  const products = new Map<string, Product>();
  const out: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const c = splitCsvLine(line);
    const name = GA4_NAME[c[cType!]!];
    if (!name) throw new Error(`line ${i + 1}: event type ${c[cType!]} has no GA4 name here`);
    const user = c[cUser!]!, session = c[cSession!]!, item = c[cItem!]!;
    let sid = sessionIds.get(session);
    if (sid === undefined) {
      sid = (perUser.get(user) ?? 0) + 1;
      perUser.set(user, sid);
      sessionIds.set(session, sid);
    }
    const ms = Date.parse(c[cTime!]!.replace(' UTC', 'Z').replace(' ', 'T'));
    if (!Number.isFinite(ms)) throw new Error(`line ${i + 1}: bad time ${c[cTime!]}`);
    const d = new Date(ms);
    const date = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
    const brand = c[cBrand!]!, category = c[cCat!]!, price = c[cPrice!]!;
    const it: Record<string, unknown> = { item_id: item };
    if (brand) it.item_brand = brand;
    if (category) it.item_category = category;
    if (price !== '' && Number.isFinite(Number(price))) it.price = Number(price);
    it.quantity = 1;
    const prev = products.get(item);
    products.set(item, { brand: brand || prev?.brand || '', category: category || prev?.category || '', price: price || prev?.price || '' });
    out.push(JSON.stringify({
      event_date: date,
      event_timestamp: ms * 1000,
      event_name: name,
      event_params: [
        { key: 'ga_session_id', value: { int_value: sid } },
        { key: 'ga_session_number', value: { int_value: sid } },
      ],
      user_pseudo_id: user,
      platform: 'WEB',
      ecommerce: name === 'purchase' ? { total_item_quantity: 1, purchase_revenue: Number(price) || 0, unique_items: 1 } : {},
      items: [it],
    }));
  }
  const feed = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">',
    '<channel>',
    '<title>REES46 sample store</title>',
    '<link>https://example.com</link>',
    '<description>Products of the REES46 sample as a Merchant Center feed</description>',
  ];
  for (const [id, p] of products) {
    feed.push('<item>', `<g:id>${xml(id)}</g:id>`, `<g:title>${xml(`${p.brand || 'product'} ${id}`)}</g:title>`,
      `<g:link>https://example.com/p/${xml(id)}</g:link>`);
    if (p.brand) feed.push(`<g:brand>${xml(p.brand)}</g:brand>`);
    if (p.category) feed.push(`<g:product_type>${xml(p.category)}</g:product_type>`);
    if (p.price !== '' && Number.isFinite(Number(p.price))) feed.push(`<g:price>${Number(p.price).toFixed(2)} USD</g:price>`);
    feed.push('<g:availability>in_stock</g:availability>', '<g:condition>new</g:condition>', '</item>');
  }
  feed.push('</channel>', '</rss>', '');
  return { ga4: out.join('\n') + '\n', feed: feed.join('\n'), events: out.length, products: products.size };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [src, dir] = process.argv.slice(2);
  if (!src || !dir) {
    process.stderr.write('usage: rees46-to-shop.ts EVENTS.csv OUT_DIR\n');
    process.exit(2);
  }
  const r = rees46ToShop(readFileSync(src, 'utf8'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'events_20191001.json'), r.ga4);
  writeFileSync(join(dir, 'feed.xml'), r.feed);
  process.stderr.write(`wrote ${r.events} GA4 events and ${r.products} feed items to ${dir}\n`);
}
