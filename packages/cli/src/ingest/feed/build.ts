/**
 * Items as the readers hand them over → the catalogue, with every rule applied and counted. One builder serves
 * the three formats, so an RSS, an Atom and a TSV feed of the same products give the same catalogue and the same
 * report, line numbers aside.
 */
import { MAX_ID_LENGTH, priceBucket } from '@perch/sdk/events';
import type { IngestReport } from '../report.js';
import type { RawItem, ReadAttribute } from './attributes.js';
import type { Catalog, CatalogItem, FeedFormat } from './types.js';
import { cleanText, parseAvailability, parsePrice, splitPath, type Price } from './values.js';

/**
 * Longest id kept: the SDK stores item ids of up to 128 characters and refuses longer ones, so a longer feed id
 * could never match an event. (Merchant Center itself allows 50; 51 to 128 are kept and counted.)
 */
export { MAX_ID_LENGTH };
/** Merchant Center's limit for `id` and `item_group_id` (support.google.com/merchants/answer/6324405). */
export const MC_ID_LENGTH = 50;

/** The fixed reason phrases of the feed reader's problems. */
export const R = {
  noId: 'item without id (skipped)',
  idTooLong: `id longer than ${MAX_ID_LENGTH} characters (skipped)`,
  idOverMc: `id longer than the ${MC_ID_LENGTH} characters Merchant Center allows (kept)`,
  duplicate: 'duplicate id (first kept)',
  caseOnly: 'id differs from an earlier id only in letter case (both kept)',
  groupTooLong: `item_group_id longer than ${MAX_ID_LENGTH} characters (ignored)`,
  repeated: 'attribute given more than once (first used)',
  markup: 'value is markup, not text (ignored)',
  priceParse: 'price does not parse (ignored)',
  priceNegative: 'price is negative (ignored)',
  priceCurrency: 'price has an unknown currency code (ignored)',
  priceNoCurrency: 'price without currency (kept without one)',
  saleParse: 'sale_price does not parse (ignored)',
  saleNegative: 'sale_price is negative (ignored)',
  saleCurrency: 'sale_price has an unknown currency code (ignored)',
  saleOtherCurrency: 'sale_price in another currency than price (ignored)',
  saleHigher: 'sale_price higher than price (ignored)',
  saleNoPrice: 'sale_price without price (used for the price bucket)',
  availability: 'unknown availability (ignored)',
  emptyBrand: 'empty brand',
  emptyProductType: 'empty product_type',
  emptyGoogleCategory: 'empty google_product_category',
  emptyLevel: 'empty category level (dropped)',
  entities: 'HTML character references left in text (decoded)',
  whitespace: 'whitespace inside a value (collapsed)',
  badUtf8: 'bytes that are not valid in the feed\'s encoding (replaced by U+FFFD)',
  unknownAttribute: 'unknown attribute (not read)',
  // the document as a whole
  cutOff: 'document cut off (the complete items before the cut are read)',
  // text feeds
  columns: 'wrong number of columns (row skipped)',
  extraEmptyCells: 'empty cells past the last column (ignored)',
  trimmed: 'whitespace around a value (trimmed)',
  repeatedColumn: 'column given more than once (its first value used)',
  unnamedColumn: 'column without a name (not read)',
} as const;

/** Price problems by attribute. */
const PRICE_REASON = {
  price: { 'does not parse': R.priceParse, 'is negative': R.priceNegative, 'has an unknown currency code': R.priceCurrency },
  sale_price: { 'does not parse': R.saleParse, 'is negative': R.saleNegative, 'has an unknown currency code': R.saleCurrency },
} as const;

const PRICE_RULE = 'expected a number with "." as decimal point and an ISO 4217 code, e.g. "15.00 USD"';

/**
 * A copy of `s` that holds no reference to the text it was cut from. The parser's values are slices of a batch
 * of several megabytes; kept as they are, each kept item would keep its whole batch alive (in V8 a substring of
 * 13 or more characters points into its parent). Flattening a concatenation makes a string of its own.
 */
export function own(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** Distinct brands and category names kept as one string each (a feed repeats them on every product). */
const MAX_INTERNED = 200_000;

/** Shortens a value for an example (a report line, never a data dump). */
function show(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

export class CatalogBuilder {
  readonly items = new Map<string, CatalogItem>();
  readonly groups = new Map<string, string[]>();
  /** Items read, kept or not. */
  read = 0;
  private readonly firstLine = new Map<string, number>();
  private readonly lowerIds = new Map<string, string>();
  private readonly unknown = new Set<string>();
  private readonly n = {
    variants: 0, brand: 0, category: 0, productType: 0, googleCategory: 0, price: 0, saleBucket: 0,
    defaultCurrency: 0, productTypeExtra: 0,
  };
  private readonly availability = new Map<string, number>();
  private readonly currencies = new Map<string, number>();
  private readonly repairs = { entities: false, whitespace: false, emptyLevels: 0 };
  private readonly interned = new Map<string, string>();

  constructor(readonly name: string, readonly report: IngestReport, private readonly defaultCurrency?: string) {}

  /** `NAME:LINE`, as examples name places. */
  at(line: number): string {
    return `${this.name}:${line}`;
  }

  /** Reports an attribute the reader does not know, once per name (`what`: how the example names it). */
  unknownAttribute(name: string, line: number, what: string): void {
    if (this.unknown.has(name)) return;
    this.unknown.add(name);
    this.report.problem(R.unknownAttribute, this.at(line), what);
  }

  /** The first value of an attribute: undefined when absent or markup (counted); a repeat is counted. */
  private first(raw: RawItem, attr: ReadAttribute, line: number): string | undefined {
    const vs = raw[attr];
    if (vs === undefined || vs.length === 0) return undefined;
    if (vs.length > 1 && attr !== 'product_type') this.report.problem(R.repeated, this.at(line), attr);
    const v = vs[0]!;
    if (v === null) { this.report.problem(R.markup, this.at(line), attr); return undefined; }
    if (v.indexOf('\uFFFD') >= 0) this.report.problem(R.badUtf8, this.at(line), attr);
    return v;
  }

  /** One shared copy of a brand or a category name. */
  private intern(s: string): string {
    const got = this.interned.get(s);
    if (got !== undefined) return got;
    const o = own(s);
    if (this.interned.size < MAX_INTERNED) this.interned.set(o, o);
    return o;
  }

  private text(raw: RawItem, attr: 'title' | 'brand', line: number): string | undefined {
    const v = this.first(raw, attr, line);
    if (v === undefined) return undefined;
    const r = this.repairs;
    r.entities = false; r.whitespace = false;
    const s = cleanText(v, r);
    this.noteRepairs(line, attr);
    return s;
  }

  private noteRepairs(line: number, attr: string): void {
    const r = this.repairs;
    if (r.entities) this.report.problem(R.entities, this.at(line), attr);
    if (r.whitespace) this.report.problem(R.whitespace, this.at(line), attr);
    if (r.emptyLevels > 0) this.report.add(R.emptyLevel, r.emptyLevels, [`${this.at(line)}: ${attr}`]);
    r.entities = false; r.whitespace = false; r.emptyLevels = 0;
  }

  private path(v: string, line: number, attr: string): string[] {
    const levels = splitPath(v, this.repairs);
    for (let i = 0; i < levels.length; i++) levels[i] = this.intern(levels[i]!);
    this.noteRepairs(line, attr);
    return levels;
  }

  private price(raw: RawItem, attr: 'price' | 'sale_price', line: number): Price | undefined {
    const v = this.first(raw, attr, line);
    if (v === undefined || v.trim() === '') return undefined;
    const p = parsePrice(v);
    if (typeof p === 'string') {
      this.report.problem(PRICE_REASON[attr][p], this.at(line), p === 'does not parse' ? `${show(v)}: ${PRICE_RULE}` : show(v));
      return undefined;
    }
    if (p.currency === undefined) {
      if (this.defaultCurrency !== undefined) { p.currency = this.defaultCurrency; this.n.defaultCurrency++; }
      else if (attr === 'price') this.report.problem(R.priceNoCurrency, this.at(line), show(v));
    }
    return p;
  }

  /** Applies the rules to one item; `line` is where it starts. */
  add(raw: RawItem, line: number): void {
    this.read++;
    const rawId = this.first(raw, 'id', line);
    const id = rawId?.trim();
    if (!id) { this.report.problem(R.noId, this.at(line)); return; }
    if (id.length > MAX_ID_LENGTH) { this.report.problem(R.idTooLong, this.at(line), `${id.length} characters: ${show(id, 40)}`); return; }
    const seen = this.firstLine.get(id);
    if (seen !== undefined) { this.report.problem(R.duplicate, this.at(line), `id ${show(id)}, first at line ${seen}`); return; }
    if (id.length > MC_ID_LENGTH) this.report.problem(R.idOverMc, this.at(line), `${id.length} characters`);
    const lower = id.toLowerCase();
    const other = this.lowerIds.get(lower);
    if (other === undefined) this.lowerIds.set(lower, id);
    else this.report.problem(R.caseOnly, this.at(line), `${show(id)} and ${show(other)}`);

    const item: CatalogItem = { id: own(id), productType: [], googleCategory: [] };

    const group = this.first(raw, 'item_group_id', line)?.trim();
    if (group) {
      if (group.length > MAX_ID_LENGTH) this.report.problem(R.groupTooLong, this.at(line), `${group.length} characters`);
      else item.groupId = own(group);
    }

    const title = this.text(raw, 'title', line);
    if (title) item.title = own(title);

    const brand = this.text(raw, 'brand', line);
    if (brand) item.brand = this.intern(brand);
    else if (brand !== undefined) this.report.problem(R.emptyBrand, this.at(line));

    const pts = raw.product_type;
    if (pts !== undefined && pts.length > 0) {
      const v = this.first(raw, 'product_type', line);
      if (v !== undefined) {
        // several product types are separated by commas (and by repeating the attribute); the first one is
        // the one Merchant Center uses (support.google.com/merchants/answer/6324406)
        const comma = v.indexOf(',');
        if (comma >= 0 || pts.length > 1) this.n.productTypeExtra++;
        const first = comma >= 0 ? v.slice(0, comma) : v;
        item.productType = first.trim() === '' ? [] : this.path(first, line, 'product_type');
        if (item.productType.length === 0) this.report.problem(R.emptyProductType, this.at(line));
      }
    }

    const gpc = this.first(raw, 'google_product_category', line);
    if (gpc !== undefined) {
      const t = gpc.trim();
      item.googleCategory = t === '' ? [] : /^\d+$/.test(t) ? [this.intern(`gpc:${t}`)] : this.path(t, line, 'google_product_category');
      if (item.googleCategory.length === 0) this.report.problem(R.emptyGoogleCategory, this.at(line));
    }

    const price = this.price(raw, 'price', line);
    const sale = this.price(raw, 'sale_price', line);
    let bucketOf = price?.amount;
    if (price) {
      item.price = price.amount;
      if (price.currency !== undefined) item.currency = price.currency;
    }
    if (sale) {
      if (!price) { this.report.problem(R.saleNoPrice, this.at(line)); bucketOf = sale.amount; } else if (sale.currency !== undefined && price.currency !== undefined && sale.currency !== price.currency) {
        this.report.problem(R.saleOtherCurrency, this.at(line), `${sale.currency} and ${price.currency}`);
      } else if (sale.amount > price.amount) {
        this.report.problem(R.saleHigher, this.at(line), `${sale.amount} > ${price.amount}`);
      } else {
        bucketOf = sale.amount;
        if (sale.amount < price.amount) this.n.saleBucket++;
      }
    }
    if (bucketOf !== undefined) item.priceBucket = priceBucket(bucketOf);

    const av = this.first(raw, 'availability', line);
    if (av !== undefined && av.trim() !== '') {
      const a = parseAvailability(av);
      if (a === undefined) this.report.problem(R.availability, this.at(line), show(av));
      else item.availability = a;
    }

    this.keep(item, line);
  }

  private keep(item: CatalogItem, line: number): void {
    this.items.set(item.id, item);
    this.firstLine.set(item.id, line);
    const n = this.n;
    if (item.groupId !== undefined) {
      n.variants++;
      let g = this.groups.get(item.groupId);
      if (!g) this.groups.set(item.groupId, (g = []));
      g.push(item.id);
    }
    if (item.brand !== undefined) n.brand++;
    if (item.productType.length > 0) n.productType++;
    if (item.googleCategory.length > 0) n.googleCategory++;
    if (item.productType.length > 0 || item.googleCategory.length > 0) n.category++;
    if (item.price !== undefined) {
      n.price++;
      const c = item.currency ?? 'none';
      this.currencies.set(c, (this.currencies.get(c) ?? 0) + 1);
    }
    if (item.availability !== undefined) this.availability.set(item.availability, (this.availability.get(item.availability) ?? 0) + 1);
  }

  /** The catalogue, with the counts written into the report. */
  finish(source: string, format: FeedFormat): Catalog {
    const r = this.report, n = this.n;
    r.count('items.read', this.read);
    r.count('items.kept', this.items.size);
    r.count('items.variants', n.variants);
    r.count('groups', this.groups.size);
    r.count('items.with_brand', n.brand);
    r.count('items.with_category', n.category);
    r.count('items.with_product_type', n.productType);
    r.count('items.with_google_product_category', n.googleCategory);
    r.count('items.with_price', n.price);
    r.count('items.priced_by_sale_price', n.saleBucket);
    if (n.productTypeExtra) r.count('items.with_more_product_types_than_the_first', n.productTypeExtra);
    if (n.defaultCurrency) r.count('prices.default_currency', n.defaultCurrency);
    for (const [c, k] of [...this.currencies].sort()) r.count(`prices.${c}`, k);
    for (const [a, k] of [...this.availability].sort()) r.count(`availability.${a}`, k);
    this.firstLine.clear();
    this.lowerIds.clear();
    this.interned.clear();
    return { source, format, items: this.items, groups: this.groups, report: r };
  }
}
