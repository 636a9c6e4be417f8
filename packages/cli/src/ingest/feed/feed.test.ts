/**
 * The feed reader on the fixtures of ../fixtures/feed (see its README for the documentation page each follows)
 * and on files written to a temp dir: exact items, every count, every problem with its examples.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestReport } from '../report.js';
import { CatalogBuilder } from './build.js';
import { feedChunks } from './generate.js';
import { readFeed, type Catalog, type CatalogItem } from './index.js';
import { readXml } from './xml.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/feed');
const fixture = (name: string): string => join(FIXTURES, name);

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'perch-feed-test-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tmp = (name: string, content: string | Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

/** The six products of rss.xml, atom.xml and products.tsv, hand-checked against the files. */
const PRODUCTS: CatalogItem[] = [
  {
    id: 'NW-SW-01-S', groupId: 'NW-SW-01', title: 'Wool & cashmere sweater, small', brand: 'Northwind',
    productType: ['Women', 'Knitwear', 'Sweaters'], googleCategory: ['gpc:1604'],
    // 59.00 USD with a sale price of 39.00: the bucket is the sale price's, floor(2·log2(40)) = 10
    price: 59, currency: 'USD', priceBucket: 10, availability: 'in_stock',
  },
  {
    id: 'NW-SW-01-M', groupId: 'NW-SW-01', title: 'Wool & cashmere sweater, medium', brand: 'Northwind',
    productType: ['Women', 'Knitwear', 'Sweaters'], googleCategory: ['gpc:1604'],
    price: 59, currency: 'USD', priceBucket: 11, availability: 'out_of_stock',
  },
  {
    id: 'RG-TR-9', title: 'Trail runner "Ridge" <limited edition>', brand: 'Ridgeline',
    // two product types: the first is the one used
    productType: ['Men', 'Shoes', 'Running'], googleCategory: ['Apparel & Accessories', 'Shoes'],
    price: 89.9, currency: 'USD', priceBucket: 13, availability: 'preorder',
  },
  {
    id: 'BK-0042', title: 'Field guide to the night sky', brand: 'Kite & Quill',
    productType: ['Books', 'Science'], googleCategory: ['gpc:784'],
    price: 12.5, currency: 'USD', priceBucket: 7, availability: 'backorder',
  },
  {
    id: 'WT-200', title: 'Diver\u2019s watch', brand: 'Tidewater',
    productType: ['Accessories', 'Watches'], googleCategory: ['gpc:201'],
    // a sale price equal to the price changes nothing
    price: 199, currency: 'USD', priceBucket: 15, availability: 'in_stock',
  },
  { id: 'GC-25', title: 'Gift card', productType: [], googleCategory: [], price: 25, currency: 'USD', priceBucket: 9, availability: 'in_stock' },
];

const PRODUCT_COUNTS = {
  'items.read': 6, 'items.kept': 6, 'items.variants': 2, groups: 1,
  'items.with_brand': 5, 'items.with_category': 5, 'items.with_product_type': 5, 'items.with_google_product_category': 5,
  'items.with_price': 6, 'items.priced_by_sale_price': 1, 'items.with_more_product_types_than_the_first': 1, 'prices.USD': 6,
  'availability.backorder': 1, 'availability.in_stock': 3, 'availability.out_of_stock': 1, 'availability.preorder': 1,
};

function expectProducts(c: Catalog): void {
  expect([...c.items.values()]).toEqual(PRODUCTS);
  expect([...c.items.keys()]).toEqual(PRODUCTS.map((p) => p.id));
  expect([...c.groups]).toEqual([['NW-SW-01', ['NW-SW-01-S', 'NW-SW-01-M']]]);
}

describe('readFeed: the three formats of the same products', () => {
  it('RSS 2.0', async () => {
    const c = await readFeed(fixture('rss.xml'));
    expect(c.format).toBe('rss');
    expect(c.source).toBe(fixture('rss.xml'));
    expectProducts(c);
    expect(c.report.toJSON()).toEqual({ counts: PRODUCT_COUNTS, problems: {} });
  });

  it('Atom 1.0 (g:id wins over the entry\'s own id; else the entry id is the product id)', async () => {
    const c = await readFeed(fixture('atom.xml'));
    expect(c.format).toBe('atom');
    expectProducts(c);
    expect(c.report.toJSON()).toEqual({ counts: PRODUCT_COUNTS, problems: {} });
  });

  it('tab-delimited text', async () => {
    const c = await readFeed(fixture('products.tsv'));
    expect(c.format).toBe('tsv');
    expectProducts(c);
    expect(c.report.toJSON()).toEqual({ counts: PRODUCT_COUNTS, problems: {} });
  });

  it('gzipped, whatever the file is called', async () => {
    const p = tmp('feed.bin', gzipSync(readFileSync(fixture('rss.xml'))));
    const c = await readFeed(p);
    expectProducts(c);
    expect(c.report.counts.get('input.gzip')).toBe(1);
    expect(c.report.problems.size).toBe(0);
    const t = await readFeed(tmp('products.tsv.gz', gzipSync(readFileSync(fixture('products.tsv')))));
    expectProducts(t);
  });

  it('CRLF line breaks, a byte-order mark, UTF-16 and a Latin-1 declaration', async () => {
    const crlf = readFileSync(fixture('rss.xml'), 'utf8').replace(/\n/g, '\r\n');
    expectProducts(await readFeed(tmp('crlf.xml', `\uFEFF${crlf}`)));
    expectProducts(await readFeed(tmp('crlf.tsv', readFileSync(fixture('products.tsv'), 'utf8').replace(/\n/g, '\r\n'))));
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(fixture('atom.xml'), 'utf8'), 'utf16le')]);
    expectProducts(await readFeed(tmp('utf16.xml', utf16)));
    const latin1 = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0"><channel>\n'
      + '<item><g:id>L-1</g:id><g:brand>Caf\u00e9 cr\u00e8me</g:brand></item>\n</channel></rss>\n';
    const c = await readFeed(tmp('latin1.xml', Buffer.from(latin1, 'latin1')));
    expect(c.items.get('L-1')?.brand).toBe('Café crème');
  });

  it('another prefix bound to the Google namespace, and elements without a prefix', async () => {
    const xml = '<rss xmlns:google="http://base.google.com/ns/1.0" version="2.0"><channel>\n'
      + '<item><google:id>X-1</google:id><google:price>15.00 USD</google:price><title>Plain title</title></item>\n'
      + '<item><id>X-2</id><brand>Plain</brand><product_type>A &gt; B</product_type></item>\n'
      + '</channel></rss>';
    const c = await readFeed(tmp('prefix.xml', xml));
    expect([...c.items.values()]).toEqual([
      { id: 'X-1', title: 'Plain title', productType: [], googleCategory: [], price: 15, currency: 'USD', priceBucket: 8 },
      { id: 'X-2', brand: 'Plain', productType: ['A', 'B'], googleCategory: [] },
    ]);
    expect(c.report.problems.size).toBe(0);
  });
});

describe('readFeed: bad input, counted with its places', () => {
  it('malformed.xml: one of each problem', async () => {
    const c = await readFeed(fixture('malformed.xml'));
    const long = (ch: string, n: number): string => ch.repeat(n);
    expect([...c.items.keys()]).toEqual([long('M', 60), 'A-1', 'a-1', 'P-NEG', 'P-NOCUR', 'P-BADCUR', 'P-COMMA', 'P-SALE', 'P-SALECUR',
      'P-SALEONLY', 'AV-1', 'EN-1', 'EN-2', 'DUP-ATTR', 'MARKUP', 'GRP-LONG']);
    const get = (id: string): CatalogItem => c.items.get(id)!;
    expect(get('A-1')).toEqual({ id: 'A-1', title: 'First A-1', productType: ['Home', 'Decor'], googleCategory: [] });
    expect(get('P-NEG')).toEqual({ id: 'P-NEG', productType: [], googleCategory: [] });
    expect(get('P-NOCUR')).toEqual({ id: 'P-NOCUR', productType: [], googleCategory: [], price: 25, priceBucket: 9 });
    expect(get('P-SALE')).toEqual({ id: 'P-SALE', productType: [], googleCategory: [], price: 20, currency: 'EUR', priceBucket: 8 });
    expect(get('P-SALECUR')).toEqual({ id: 'P-SALECUR', productType: [], googleCategory: [], price: 20, currency: 'EUR', priceBucket: 8 });
    expect(get('P-SALEONLY')).toEqual({ id: 'P-SALEONLY', productType: [], googleCategory: [], priceBucket: 8 });
    expect(get('EN-1')).toEqual({ id: 'EN-1', title: 'Ben & Jerry\'s ice cream', brand: 'Café Noir', productType: [], googleCategory: [] });
    expect(get('DUP-ATTR').brand).toBe('One');
    expect(get('MARKUP').brand).toBeUndefined();
    expect(get('GRP-LONG').groupId).toBeUndefined();
    expect(c.report.toJSON()).toEqual({
      counts: {
        'items.read': 21, 'items.kept': 16, 'items.variants': 0, groups: 0, 'items.with_brand': 2, 'items.with_category': 1,
        'items.with_product_type': 1, 'items.with_google_product_category': 0, 'items.with_price': 5, 'items.priced_by_sale_price': 0,
        'prices.EUR': 4, 'prices.none': 1,
      },
      problems: {
        'item without id (skipped)': { count: 3, examples: ['malformed.xml:8', 'malformed.xml:13', 'malformed.xml:119'] },
        'id longer than 128 characters (skipped)': { count: 1, examples: [`malformed.xml:18: 130 characters: "${long('L', 40)}…"`] },
        'id longer than the 50 characters Merchant Center allows (kept)': { count: 1, examples: ['malformed.xml:22: 60 characters'] },
        'empty brand': { count: 1, examples: ['malformed.xml:27'] },
        'empty category level (dropped)': { count: 4, examples: ['malformed.xml:27: product_type', 'malformed.xml:96: product_type'] },
        'price does not parse (ignored)': {
          count: 2,
          examples: [
            'malformed.xml:27: "abc": expected a number with "." as decimal point and an ISO 4217 code, e.g. "15.00 USD"',
            'malformed.xml:60: "19,99 EUR": expected a number with "." as decimal point and an ISO 4217 code, e.g. "15.00 USD"',
          ],
        },
        'duplicate id (first kept)': { count: 1, examples: ['malformed.xml:35: id "A-1", first at line 27'] },
        'id differs from an earlier id only in letter case (both kept)': { count: 1, examples: ['malformed.xml:40: "a-1" and "A-1"'] },
        'price is negative (ignored)': { count: 1, examples: ['malformed.xml:45: "-5.00 EUR"'] },
        'price without currency (kept without one)': { count: 1, examples: ['malformed.xml:50: "25"'] },
        'price has an unknown currency code (ignored)': { count: 1, examples: ['malformed.xml:55: "10.00 XYZ"'] },
        'sale_price higher than price (ignored)': { count: 1, examples: ['malformed.xml:65: 25 > 20'] },
        'sale_price in another currency than price (ignored)': { count: 1, examples: ['malformed.xml:71: USD and EUR'] },
        'sale_price without price (used for the price bucket)': { count: 1, examples: ['malformed.xml:77'] },
        'unknown availability (ignored)': { count: 1, examples: ['malformed.xml:82: "limited"'] },
        // counted once per name, not per item (<g:colour> is on lines 87 and 96)
        'unknown attribute (not read)': { count: 2, examples: ['malformed.xml:87: <g:colour>', 'malformed.xml:87: <c:fabric_code>'] },
        'HTML character references left in text (decoded)': { count: 2, examples: ['malformed.xml:87: title', 'malformed.xml:87: brand'] },
        'whitespace inside a value (collapsed)': { count: 1, examples: ['malformed.xml:87: title'] },
        'empty product_type': { count: 1, examples: ['malformed.xml:96'] },
        'empty google_product_category': { count: 1, examples: ['malformed.xml:96'] },
        'attribute given more than once (first used)': { count: 1, examples: ['malformed.xml:103: brand'] },
        'value is markup, not text (ignored)': { count: 1, examples: ['malformed.xml:109: brand'] },
        'item_group_id longer than 128 characters (ignored)': { count: 1, examples: ['malformed.xml:114: 130 characters'] },
      },
    });
    expect(c.report.problemCount).toBe(31);
  });

  it('malformed.tsv: columns, whitespace, quotes, escapes, ids, prices', async () => {
    const c = await readFeed(fixture('malformed.tsv'));
    expect([...c.items.values()]).toEqual([
      { id: 'T-1', groupId: 'G-1', title: 'Plain row', brand: 'Acme', productType: ['Home', 'Decor'], googleCategory: ['gpc:1604'], price: 10, currency: 'EUR', priceBucket: 6, availability: 'in_stock' },
      { id: 'T-4', title: 'Trailing tabs', brand: 'Acme', productType: [], googleCategory: [], price: 10, currency: 'EUR', priceBucket: 6, availability: 'in_stock' },
      { id: 'T-5', title: 'Padded title', brand: 'Acme', productType: [], googleCategory: [], price: 10, currency: 'EUR', priceBucket: 6, availability: 'in_stock' },
      { id: 'T-6', title: 'Say "hi"', brand: 'Acme', productType: ['Books', 'Science'], googleCategory: [], price: 12, currency: 'EUR', priceBucket: 7, availability: 'in_stock' },
      { id: 'T-7', title: 'Escaped brand', brand: 'H&M', productType: [], googleCategory: [], price: 12, currency: 'EUR', priceBucket: 7, availability: 'in_stock' },
      { id: 'T-9', title: 'Bad price', brand: 'Acme', productType: [], googleCategory: [], availability: 'in_stock' },
      { id: 'T-10', groupId: 'G-1', title: 'Mixed case availability', brand: 'Acme', productType: [], googleCategory: [], price: 15, currency: 'EUR', priceBucket: 7, availability: 'in_stock' },
    ]);
    expect([...c.groups]).toEqual([['G-1', ['T-1', 'T-10']]]);
    expect(c.report.toJSON()).toEqual({
      counts: {
        'lines.blank': 1, 'items.read': 11, 'items.kept': 7, 'items.variants': 2, groups: 1, 'items.with_brand': 7,
        'items.with_category': 2, 'items.with_product_type': 2, 'items.with_google_product_category': 1, 'items.with_price': 6,
        'items.priced_by_sale_price': 1, 'items.with_more_product_types_than_the_first': 1, 'prices.EUR': 6, 'availability.in_stock': 7,
      },
      problems: {
        'unknown attribute (not read)': { count: 1, examples: ['malformed.tsv:1: column "colour"'] },
        'wrong number of columns (row skipped)': { count: 2, examples: ['malformed.tsv:3: expected 11 columns, got 3', 'malformed.tsv:4: expected 11 columns, got 12'] },
        'empty cells past the last column (ignored)': { count: 1, examples: ['malformed.tsv:5: 13 cells for 11 columns'] },
        'whitespace around a value (trimmed)': { count: 1, examples: ['malformed.tsv:6: id, title'] },
        'HTML character references left in text (decoded)': { count: 1, examples: ['malformed.tsv:8: brand'] },
        'item without id (skipped)': { count: 1, examples: ['malformed.tsv:9'] },
        'price does not parse (ignored)': { count: 1, examples: ['malformed.tsv:11: "abc": expected a number with "." as decimal point and an ISO 4217 code, e.g. "15.00 USD"'] },
        'duplicate id (first kept)': { count: 1, examples: ['malformed.tsv:13: id "T-1", first at line 2'] },
      },
    });
  });

  it('truncated.xml: the complete items are read and the cut is reported', async () => {
    const c = await readFeed(fixture('truncated.xml'));
    expect([...c.items.values()]).toEqual(PRODUCTS.slice(0, 2));
    expect(c.report.counts.get('items.read')).toBe(2);
    expect(c.report.toJSON().problems).toEqual({
      'document cut off (the complete items before the cut are read)': {
        count: 1, examples: ['truncated.xml:45: the document ends inside the <item> that starts here; missing </channel></rss>'],
      },
    });
  });

  it('a cut gzip stream: what was decompressed is read, the cut reported', async () => {
    const xml = [...feedChunks({ items: 3000, seed: 3 })].join('');
    const gz = gzipSync(xml);
    const c = await readFeed(tmp('cut.xml.gz', gz.subarray(0, Math.floor(gz.length * 0.6))));
    const n = c.report.counts.get('items.read')!;
    expect(n).toBeGreaterThan(1000);
    expect(n).toBeLessThan(3000);
    const [reason, p] = [...c.report.problems][0]!;
    expect(c.report.problems.size).toBe(1);
    expect(reason).toBe('document cut off (the complete items before the cut are read)');
    expect(p.examples[0]).toMatch(/^cut\.xml\.gz:\d+: the gzip stream ends early or is corrupt \(unexpected end of file\); the document ends inside the <item> that starts here; missing <\/channel><\/rss>$/);
    // every item read is one of the whole feed's, read the same
    const whole = await readFeed(tmp('whole.xml', xml));
    for (const [id, it] of c.items) expect(it).toEqual(whole.items.get(id));
  });

  it('a document that stops after its last item (no </channel></rss>)', async () => {
    const xml = readFileSync(fixture('rss.xml'), 'utf8').replace('</channel>\n</rss>\n', '');
    const c = await readFeed(tmp('noclose.xml', xml));
    expectProducts(c);
    expect(c.report.toJSON().problems).toEqual({
      'document cut off (the complete items before the cut are read)': { count: 1, examples: ['noclose.xml:97: missing </channel></rss>'] },
    });
  });

  it('invalid UTF-8 bytes are replaced and counted', async () => {
    const bytes = Buffer.concat([Buffer.from('id\ttitle\tbrand\nB-1\tBad '), Buffer.from([0xff, 0xfe]), Buffer.from(' bytes\tAcme\n')]);
    const c = await readFeed(tmp('bad-utf8.tsv', bytes));
    expect(c.items.get('B-1')?.title).toBe('Bad \uFFFD\uFFFD bytes');
    expect(c.report.toJSON().problems).toEqual({
      'bytes that are not valid in the feed\'s encoding (replaced by U+FFFD)': { count: 1, examples: ['bad-utf8.tsv:2: title'] },
    });
  });

  it('a default currency for prices without one', async () => {
    const c = await readFeed(tmp('nocur.tsv', 'id\tprice\tsale_price\nA\t25\t20\n'), { defaultCurrency: 'eur' });
    expect(c.items.get('A')).toEqual({ id: 'A', productType: [], googleCategory: [], price: 25, currency: 'EUR', priceBucket: 8 });
    expect(c.report.counts.get('prices.default_currency')).toBe(2);
    expect(c.report.problems.size).toBe(0);
    await expect(readFeed(fixture('rss.xml'), { defaultCurrency: 'EURO' })).rejects.toThrow('default currency "EURO" is no ISO 4217 code');
  });

  it('element names that are JavaScript object internals are read as unknown attributes', async () => {
    const xml = '<rss version="2.0"><channel><item><g:id>Z</g:id><constructor>x</constructor><__proto__>y</__proto__><toString>z</toString></item></channel></rss>';
    const c = await readFeed(tmp('proto.xml', xml));
    expect([...c.items.keys()]).toEqual(['Z']);
    expect(c.report.problems.get('unknown attribute (not read)')?.count).toBe(3);
  });
});

describe('readFeed: what is no feed throws, saying where and why', () => {
  it('XML that is not well-formed: the parser\'s line and column', async () => {
    await expect(readFeed(fixture('broken.xml'))).rejects.toThrow(
      'feed broken.xml:31:45: not well-formed XML: Expected closing tag \'g:title\' (opened in line 31, col 1) instead of closing tag \'g:titel\'.');
    // outside the items too
    const xml = readFileSync(fixture('rss.xml'), 'utf8').replace('<title>Northwind outfitters</title>', '<title>Northwind outfitters</titel>');
    await expect(readFeed(tmp('broken-channel.xml', xml))).rejects.toThrow(/^feed broken-channel\.xml:4:\d+: not well-formed XML: Expected closing tag 'title'/);
    // on the line an item ends on, the column is the original's
    await expect(readFeed(tmp('after-item.xml', '<rss><channel>\n<item>\n<g:id>A</g:id>\n</item> <foo></bar>\n</channel></rss>'))).rejects.toThrow(
      "feed after-item.xml:4:14: not well-formed XML: Expected closing tag 'foo' (opened in line 4, col 9) instead of closing tag 'bar'.");
    // an unescaped ampersand
    await expect(readFeed(tmp('amp.xml', '<rss>\n<channel>\n<item><g:id>A & B</g:id></item></channel></rss>'))).rejects.toThrow(
      "feed amp.xml:3:15: not well-formed XML: char '&' is not expected.");
  });

  it('an HTML page, another XML document, RSS 1.0, a comma-separated file, an empty file, text before the root', async () => {
    await expect(readFeed(fixture('not-a-feed.html'))).rejects.toThrow('feed not-a-feed.html:2: not a product feed but an HTML page');
    await expect(readFeed(tmp('other.xml', '<?xml version="1.0"?>\n<catalog><product/></catalog>'))).rejects.toThrow(
      'feed other.xml:2: not a product feed: the root element is <catalog> (expected <rss> or <feed>)');
    await expect(readFeed(tmp('rss1.xml', '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>'))).rejects.toThrow(/RSS 1\.0 \(RDF\)/);
    await expect(readFeed(fixture('comma.csv'))).rejects.toThrow(
      'feed comma.csv:1: not a product feed: the header has no tab: Merchant Center text feeds are tab-delimited (this looks comma- or semicolon-separated) (columns: "id,title,price")');
    await expect(readFeed(tmp('noid.tsv', 'sku\ttitle\nA\tB\n'))).rejects.toThrow('feed noid.tsv:1: not a product feed: the header row has no id column (columns: "sku", "title")');
    await expect(readFeed(tmp('empty.xml', '  \n'))).rejects.toThrow('feed empty.xml: empty');
    await expect(readFeed(tmp('text.xml', '<!-- x -->\nhello <rss></rss>'))).rejects.toThrow('feed text.xml:2: not a product feed: text before the first XML element');
  });

  it('a missing file, a directory, an unsupported scheme', async () => {
    await expect(readFeed(join(dir, 'nope.xml'))).rejects.toThrow(`feed ${join(dir, 'nope.xml')}: no such file`);
    await expect(readFeed(dir)).rejects.toThrow(`feed ${dir}: not a file`);
    await expect(readFeed('ftp://example.com/feed.xml')).rejects.toThrow('only local paths and http(s) URLs are read');
  });
});

describe('readFeed: http(s) URLs', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const rss = readFileSync(fixture('rss.xml'));
    server = createServer((req, res) => {
      if (req.url?.startsWith('/feeds/shop.xml?')) { res.writeHead(200, { 'content-type': 'application/xml', 'content-length': rss.length }); res.end(rss); } else if (req.url === '/feeds/shop.xml.gz') {
        res.writeHead(200, { 'content-type': 'application/gzip' }); res.end(gzipSync(rss));
      } else if (req.url === '/feeds/encoded.xml') {
        res.writeHead(200, { 'content-type': 'application/xml', 'content-encoding': 'gzip' }); res.end(gzipSync(rss));
      } else if (req.url === '/feeds/dropped.xml' || req.url === '/feeds/dropped.xml.gz') {
        // the connection drops half way through the body
        const body = req.url.endsWith('.gz') ? gzipSync(rss) : rss;
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      } else if (req.url === '/feeds/slow.xml') {
        setTimeout(() => res.destroy(), 2000);
      } else { res.writeHead(404, 'Not Found'); res.end('no'); }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads a feed by URL, plain, gzipped or with a Content-Encoding, naming it by its path (never its query)', async () => {
    let last: [number, number | undefined, number] | undefined;
    const c = await readFeed(`${base}/feeds/shop.xml?token=secret`, { onProgress: (b, t, n) => { last = [b, t, n]; } });
    expectProducts(c);
    expect(c.source).toBe(`${base}/feeds/shop.xml?token=secret`);
    expect(last).toEqual([readFileSync(fixture('rss.xml')).length, readFileSync(fixture('rss.xml')).length, 6]);
    expectProducts(await readFeed(`${base}/feeds/shop.xml.gz`));
    expectProducts(await readFeed(`${base}/feeds/encoded.xml`));
    const bad = await readFeed(`${base}/feeds/shop.xml?x=1`, { name: 'shop-feed' });
    expect(bad.report.problems.size).toBe(0);
  });

  it('an HTTP error or an unreachable host is an Error', async () => {
    await expect(readFeed(`${base}/feeds/missing.xml?token=secret`)).rejects.toThrow(`feed ${base}/feeds/missing.xml: HTTP 404 Not Found`);
    await expect(readFeed(`${base}/feeds/slow.xml`, { timeoutMs: 200 })).rejects.toThrow(/^feed http:\/\/127\.0\.0\.1:\d+\/feeds\/slow\.xml: request failed \(.*timeout.*\)$/);
    // a download that breaks off is the source failing, not a feed cut short: an Error, gzipped or not
    await expect(readFeed(`${base}/feeds/dropped.xml`)).rejects.toThrow(/^feed dropped\.xml: reading failed after \d+ bytes/);
    await expect(readFeed(`${base}/feeds/dropped.xml.gz`)).rejects.toThrow(/^feed dropped\.xml\.gz: reading failed after \d+ bytes/);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(readFeed(`http://127.0.0.1:${port}/feed.xml`)).rejects.toThrow(/^feed http:\/\/127\.0\.0\.1:\d+\/feed\.xml: request failed \(.*ECONNREFUSED.*\)$/);
  });
});

describe('the XML scanner', () => {
  /** Reads `text` handed over in pieces of the given sizes (cycled), as a stream may cut it anywhere. */
  async function readInPieces(text: string, sizes: number[]): Promise<CatalogBuilder> {
    const b = new CatalogBuilder('pieces.xml', new IngestReport());
    async function* pieces(): AsyncGenerator<string> {
      for (let i = 0, k = 0; i < text.length; k++) {
        const n = sizes[k % sizes.length]!;
        yield text.slice(i, i + n);
        i += n;
      }
    }
    await readXml(pieces(), b, {}, () => undefined);
    return b;
  }

  it('finds the same items wherever the text is cut', async () => {
    const text = readFileSync(fixture('rss.xml'), 'utf8');
    for (const sizes of [[1], [2, 3], [7], [13, 1, 5], [64]]) {
      const b = await readInPieces(text, sizes);
      expect([...b.items.values()], `pieces of ${sizes.join(',')}`).toEqual(PRODUCTS);
      expect(b.report.problems.size).toBe(0);
    }
  });

  it('crosses batches and buffer compaction with the right line numbers', async () => {
    // 2500 items: three parser batches; the text is far longer than the scanner's buffer keeps
    const text = [...feedChunks({ items: 2500, seed: 5, faults: 0.02 })].join('');
    const whole = await readFeed(tmp('big.xml', text));
    const cut = await readInPieces(text, [4093, 65537, 977]);
    expect([...cut.items.values()]).toEqual([...whole.items.values()]);
    // each example names the line an <item> starts on
    const lines = text.split('\n');
    let examples = 0;
    for (const p of whole.report.problems.values()) {
      for (const e of p.examples) {
        const line = Number(/^big\.xml:(\d+)/.exec(e)![1]);
        expect(lines[line - 1]).toBe('<item>');
        examples++;
      }
    }
    expect(examples).toBeGreaterThan(10);
    // a broken item deep in the file is found at its own line
    const at = text.indexOf('<g:id>SKU-700-0</g:id>');
    const broken = `${text.slice(0, at)}<g:id>SKU-700-0</g:ix>${text.slice(at + 22)}`;
    const line = text.slice(0, at).split('\n').length;
    await expect(readFeed(tmp('big-broken.xml', broken))).rejects.toThrow(`feed big-broken.xml:${line}:16: not well-formed XML: Expected closing tag 'g:id' (opened in line ${line}, col 1)`);
  });

  it('the three generated formats give the same catalogue', async () => {
    const opts = { items: 1500, seed: 9, faults: 0.03 };
    const cats = await Promise.all((['rss', 'atom', 'tsv'] as const).map((format) => readFeed(tmp(`gen.${format}`, [...feedChunks({ ...opts, format })].join('')))));
    const [rss, atom, tsv] = cats.map((c) => c.items);
    expect([...atom!.values()]).toEqual([...rss!.values()]);
    expect([...tsv!.values()]).toEqual([...rss!.values()]);
    const counts = cats.map((c) => c.report.toJSON().counts);
    expect(counts[1]).toEqual(counts[0]);
    expect(counts[2]).toEqual(counts[0]);
    const reasons = cats.map((c) => [...c.report.problems].map(([r, p]) => [r, p.count]));
    expect(reasons[1]).toEqual(reasons[0]);
    expect(reasons[2]).toEqual(reasons[0]);
  });

  it('a fixture copied under another name is named so in examples', async () => {
    const p = join(dir, 'shop-feed.xml');
    copyFileSync(fixture('malformed.xml'), p);
    const c = await readFeed(p, { name: 'SHOP' });
    expect(c.report.problems.get('item without id (skipped)')?.examples[0]).toBe('SHOP:8');
  });
});
