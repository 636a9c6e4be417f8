import type { IngestReport } from '../report.js';
import type { Availability } from './values.js';

/** One product of the feed, as the trainer uses it. */
export interface CatalogItem {
  id: string;
  /** item_group_id: the parent product that variants share */
  groupId?: string;
  title?: string;
  brand?: string;
  /** product_type: the shop's own category path, most general first (split on '>'), trimmed */
  productType: string[];
  /** google_product_category: path of names (split on '>'), or ['gpc:<id>'] when the feed gives the numeric id */
  googleCategory: string[];
  price?: number;
  currency?: string;
  /** priceBucket(price) from '@perch/sdk/events' (the bucket the SDK stores), sale_price when valid and lower */
  priceBucket?: number;
  availability?: Availability;
}

export interface Catalog {
  source: string;
  /** Which of the three formats the feed was read as. */
  format: FeedFormat;
  items: Map<string, CatalogItem>;
  /** item_group_id → ids of its variants, in feed order */
  groups: Map<string, string[]>;
  report: IngestReport;
}

export type FeedFormat = 'rss' | 'atom' | 'tsv';

export interface ReadFeedOptions {
  /**
   * Currency of a price given without one ("25"). Without it such a price is kept without a currency and
   * counted as a problem; with it, it takes this code and is counted under `prices.default_currency`.
   */
  defaultCurrency?: string;
  /** Name used in the report's examples (`NAME:LINE`); default: the file's base name, or the URL's last path segment. */
  name?: string;
  /** For a progress bar: bytes read so far (compressed bytes for a gzip file), the total when known, items read. */
  onProgress?: (bytesRead: number, totalBytes: number | undefined, items: number) => void;
  /** A URL's request is aborted after this long (default 120 000 ms). */
  timeoutMs?: number;
}
