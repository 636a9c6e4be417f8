/**
 * A seeded generator of large Merchant Center feeds (RSS 2.0, Atom 1.0 or tab-delimited), shaped like a shop's:
 * products with 1–4 variants sharing an `item_group_id`, a three-level `product_type`, a
 * `google_product_category` given as an id or as a path, log-normal prices with some sale prices, escaped
 * ampersands in titles and CDATA descriptions; optionally a share of faulty items (no id, a duplicate id, a price
 * that does not parse, a sale price above the price, an unknown availability).
 *
 * Usage (throughput check):
 *   npx tsx packages/cli/src/ingest/feed/generate.ts --items 200000 [--format rss|atom|tsv] [--seed 1]
 *     [--faults 0.01] [--gzip] [--out FILE] [--read]
 * writes the feed (default: a temp file) and with --read reads it back with readFeed, printing items/s and the
 * process's peak RSS.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { createGzip } from 'node:zlib';
import { Rng } from '@perch/model/rng';
import type { FeedFormat } from './types.js';

export interface GenerateOptions {
  items: number;
  format?: FeedFormat;
  seed?: number;
  /** Share of items given one fault each (default 0). */
  faults?: number;
}

const DEPARTMENTS = ['Women', 'Men', 'Kids', 'Home & Living', 'Sports', 'Electronics', 'Beauty', 'Garden'];
const GPC = [['1604', 'Apparel & Accessories > Clothing'], ['187', 'Apparel & Accessories > Shoes'], ['536', 'Home & Garden'],
  ['988', 'Sporting Goods'], ['222', 'Electronics'], ['469', 'Health & Beauty'], ['689', 'Home & Garden > Lawn & Garden']] as const;
const AVAIL = ['in_stock', 'in_stock', 'in_stock', 'in_stock', 'out_of_stock', 'preorder', 'backorder', 'in stock'];
const CURRENCY = 'EUR';

const xmlEsc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Product {
  id: string; group?: string; title: string; brand: string; productType: string; gpc: string;
  price: string; sale?: string; availability: string; description: string; link: string;
}

/** The products, lazily: one at a time, reproducible from the seed. */
export function* products(opts: GenerateOptions): Generator<Product> {
  const rng = new Rng(opts.seed ?? 1);
  const faults = opts.faults ?? 0;
  const brands = Array.from({ length: 300 }, (_, i) => `Brand ${String.fromCharCode(65 + (i % 26))}${i}`);
  let n = 0, parent = 0;
  while (n < opts.items) {
    parent++;
    const variants = 1 + rng.int(4);
    const dept = DEPARTMENTS[rng.int(DEPARTMENTS.length)]!;
    const cat = `Category ${rng.int(20)}`, sub = `Type ${rng.int(15)}`;
    const brand = brands[Math.floor(brands.length * rng.next() ** 2)]!;
    const gpc = GPC[rng.int(GPC.length)]!;
    const base = Math.exp(2.5 + 1.2 * rng.normal());
    for (let v = 0; v < variants && n < opts.items; v++, n++) {
      const price = base * (1 + 0.1 * v);
      const p: Product = {
        id: `SKU-${parent}-${v}`,
        ...(variants > 1 ? { group: `P-${parent}` } : {}),
        title: `${brand} ${sub} & more, size ${v + 1}`,
        brand,
        productType: `${dept} > ${cat} > ${sub}`,
        gpc: rng.next() < 0.5 ? gpc[0] : gpc[1],
        price: `${price.toFixed(2)} ${CURRENCY}`,
        ...(rng.next() < 0.2 ? { sale: `${(price * 0.8).toFixed(2)} ${CURRENCY}` } : {}),
        availability: AVAIL[rng.int(AVAIL.length)]!,
        description: `A ${sub.toLowerCase()} by ${brand}: <b>soft</b>, durable & easy to care for. Item ${n}.`,
        link: `https://shop.example.com/products/${parent}?variant=${v}`,
      };
      if (faults > 0 && rng.next() < faults) {
        const f = rng.int(5);
        if (f === 0) p.id = '';
        else if (f === 1) p.id = `SKU-${Math.max(1, parent - 1)}-0`;
        else if (f === 2) p.price = `${price.toFixed(2).replace('.', ',')} ${CURRENCY}`;
        else if (f === 3) p.sale = `${(price * 2).toFixed(2)} ${CURRENCY}`;
        else p.availability = 'limited';
      }
      yield p;
    }
  }
}

function rssItem(p: Product): string {
  return `<item>
<g:id>${xmlEsc(p.id)}</g:id>
<g:title>${xmlEsc(p.title)}</g:title>
<g:description><![CDATA[${p.description}]]></g:description>
<g:link>${xmlEsc(p.link)}</g:link>
<g:image_link>${xmlEsc(p.link.replace('/products/', '/images/'))}.jpg</g:image_link>
<g:brand>${xmlEsc(p.brand)}</g:brand>
<g:condition>new</g:condition>
<g:availability>${p.availability}</g:availability>
<g:price>${p.price}</g:price>
${p.sale ? `<g:sale_price>${p.sale}</g:sale_price>\n` : ''}<g:google_product_category>${xmlEsc(p.gpc)}</g:google_product_category>
<g:product_type>${xmlEsc(p.productType)}</g:product_type>
${p.group ? `<g:item_group_id>${p.group}</g:item_group_id>\n` : ''}<g:shipping>
<g:country>DE</g:country>
<g:price>4.95 ${CURRENCY}</g:price>
</g:shipping>
</item>
`;
}

function atomEntry(p: Product): string {
  return rssItem(p).replace(/^<item>/, '<entry>').replace(/<\/item>\n$/, '</entry>\n');
}

const TSV_COLUMNS = ['id', 'title', 'description', 'link', 'brand', 'condition', 'availability', 'price', 'sale_price', 'google_product_category', 'product_type', 'item_group_id'];

function tsvRow(p: Product): string {
  const cell = (s: string | undefined): string => (s ?? '').replace(/[\t\r\n]+/g, ' ');
  return [p.id, p.title, p.description, p.link, p.brand, 'new', p.availability, p.price, p.sale, p.gpc, p.productType, p.group].map(cell).join('\t') + '\n';
}

/** The feed's text, in chunks of about a thousand items. */
export function* feedChunks(opts: GenerateOptions): Generator<string> {
  const format = opts.format ?? 'rss';
  if (format === 'rss') yield '<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0">\n<channel>\n<title>Generated shop</title>\n<link>https://shop.example.com</link>\n<description>A generated Merchant Center feed</description>\n';
  else if (format === 'atom') yield '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">\n<title>Generated shop</title>\n<link rel="self" href="https://shop.example.com"/>\n<updated>2020-01-01T00:00:00Z</updated>\n';
  else yield TSV_COLUMNS.join('\t') + '\n';
  const row = format === 'rss' ? rssItem : format === 'atom' ? atomEntry : tsvRow;
  let part: string[] = [];
  for (const p of products(opts)) {
    part.push(row(p));
    if (part.length === 1000) { yield part.join(''); part = []; }
  }
  if (part.length) yield part.join('');
  if (format === 'rss') yield '</channel>\n</rss>\n';
  else if (format === 'atom') yield '</feed>\n';
}

/** Writes a generated feed to `path` (gzipped when `gzip`). */
export async function writeFeed(path: string, opts: GenerateOptions & { gzip?: boolean }): Promise<void> {
  const src = Readable.from(feedChunks(opts));
  if (opts.gzip) await pipeline(src, createGzip(), createWriteStream(path));
  else await pipeline(src, createWriteStream(path));
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string): string | undefined => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const items = Number(arg('items') ?? 200_000);
  const format = (arg('format') ?? 'rss') as FeedFormat;
  const gzip = argv.includes('--gzip');
  const opts = { items, format, seed: Number(arg('seed') ?? 1), faults: Number(arg('faults') ?? 0), gzip };
  const dir = arg('out') === undefined ? mkdtempSync(join(tmpdir(), 'perch-feed-')) : undefined;
  const out = arg('out') ?? join(dir!, `feed.${format === 'tsv' ? 'txt' : 'xml'}${gzip ? '.gz' : ''}`);
  let t = performance.now();
  await writeFeed(out, opts);
  process.stderr.write(`wrote ${items} ${format} items to ${out} in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  if (argv.includes('--read')) {
    const { readFeed } = await import('./index.js');
    let peak = 0;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
    t = performance.now();
    const cat = await readFeed(out);
    const s = (performance.now() - t) / 1000;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const read = cat.report.counts.get('items.read') ?? 0;
    process.stdout.write(`${JSON.stringify({ format, gzip, items_read: read, items_kept: cat.items.size, groups: cat.groups.size, problems: cat.report.problemCount, seconds: Number(s.toFixed(2)), items_per_s: Math.round(read / s), peak_rss_mb: Math.round(peak / 2 ** 20) })}\n`);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => { process.stderr.write(`${(e as Error).stack ?? String(e)}\n`); process.exit(1); });
}
