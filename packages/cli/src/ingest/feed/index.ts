/**
 * The shop's catalogue from its Google Merchant Center product feed: XML RSS 2.0
 * (support.google.com/merchants/answer/160589), XML Atom 1.0 (…/160593) or tab-delimited text (…/160588),
 * gzipped or not, from a local path or an http(s) URL. Item attributes follow the product data specification
 * (…/7052112). Every item skipped and every value refused or repaired is counted in the report under a fixed
 * reason, with the first few places as `file:line`; a source that cannot be read as a feed at all (no such
 * file, an HTTP error, an HTML page, XML that is not well-formed) throws an Error saying where and why.
 */
import { categoryBrandAttrs } from '@perch/model/data';
import { storedName } from '@perch/sdk/events';
import { IngestReport, SourceError } from '../report.js';
import { CatalogBuilder, R } from './build.js';
import { openFeed } from './source.js';
import { readTsv } from './tsv.js';
import type { Catalog, CatalogItem, FeedFormat, ReadFeedOptions } from './types.js';
import { readXml } from './xml.js';

export type { Catalog, CatalogItem, FeedFormat, ReadFeedOptions } from './types.js';
/** The reason phrases the feed's problems are counted under. */
export { R as FEED_PROBLEMS } from './build.js';

/** Reads a product feed: see the module comment. */
export async function readFeed(source: string, opts: ReadFeedOptions = {}): Promise<Catalog> {
  let currency: string | undefined;
  if (opts.defaultCurrency !== undefined) {
    currency = opts.defaultCurrency.toUpperCase();
    if (!Intl.supportedValuesOf('currency').includes(currency)) throw new SourceError(`default currency "${opts.defaultCurrency}" is no ISO 4217 code`);
  }
  const report = new IngestReport();
  let bytesRead = 0, totalBytes: number | undefined;
  const text = await openFeed(source, {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    onBytes: (n, t) => { bytesRead = n; totalBytes = t; },
  });
  const b = new CatalogBuilder(text.name, report, currency);
  const progress = (): void => opts.onProgress?.(bytesRead, totalBytes, b.read);

  // the first character that is not white space tells XML from text
  const it = text.chunks[Symbol.asyncIterator]();
  let head = '';
  for (let r = await it.next(); !r.done; r = await it.next()) {
    head += r.value;
    if (head.trim() !== '') break;
  }
  if (head.trim() === '') throw new SourceError(`feed ${text.name}: empty`);
  const chunks = (async function* () {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  })();

  let format: FeedFormat;
  if (head.trimStart().startsWith('<')) {
    format = await readXml(chunks, b, text.state, progress);
  } else {
    format = 'tsv';
    const lines = await readTsv(chunks, b, progress);
    if (text.state.cutOff) report.problem(R.cutOff, b.at(lines), text.state.cutOff);
  }
  if (text.state.gzip) report.count('input.gzip');
  progress();
  return b.finish(source, format);
}

/**
 * The attribute names the model uses for an item, and its category-intent class: `cat:<the most specific
 * product_type level, else of google_product_category>` and `brand:<brand>`, each named as `track()` stores an
 * item's category and brand (`storedName`: cut to 64 characters), so that a device describes a product the
 * model never saw by the same strings. The price bucket is not an attribute: the on-device featuriser names
 * unseen items by category and brand only (docs/onboarding.md).
 */
export function itemAttributes(it: CatalogItem): { attrs: string[]; category?: string } {
  const name = (v: string | undefined): string | undefined => {
    const r = storedName(v);
    return typeof r === 'string' ? r : r?.cut;
  };
  const category = name(it.productType[it.productType.length - 1] ?? it.googleCategory[it.googleCategory.length - 1]);
  const brand = name(it.brand);
  const attrs = categoryBrandAttrs(category, brand);
  return category === undefined ? { attrs } : { attrs, category };
}
