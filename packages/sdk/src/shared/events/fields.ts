/**
 * Field-level normalisers for the event boundary. Each returns the normalised value, `undefined` when the
 * field is absent, or a {@link Fail} describing why the value is refused. None of them throws on any input
 * and none of them runs a regex or a loop over more characters than the limit it enforces.
 */
import type { RejectCode } from '../../types.js';

/**
 * A refused field: the code and a reason a shop developer can act on. Normalisers leave the field name
 * out and the caller adds it with {@link Fail.at}, so no name string is built on the success path.
 */
export class Fail {
  constructor(
    readonly code: RejectCode,
    readonly reason: string,
  ) {}

  /** The same failure, its reason prefixed by the field's name ("items[2].price must be …"). */
  at(field: string, code: RejectCode = this.code): Fail {
    return new Fail(code, `${field} ${this.reason}`);
  }
}

/** GA4's own limit on `items[]`, kept so a GA4-valid event is Perch-valid. */
export const MAX_ITEMS = 200;
/** Longest stored item id (ids longer than this are refused, not cut: a cut id would name another product). */
export const MAX_ID_LENGTH = 128;
/** Longest stored list id, category, brand or attribution token. */
export const MAX_SHORT_LENGTH = 64;
/** Numeric strings longer than this are refused before parsing ("12.50" is 5 characters). */
const MAX_NUMERIC_STRING = 32;
/** Quantities and positions above this are not plausible shop data. */
export const MAX_COUNT = 1_000_000;
/** Dwell times are clamped to a day: a longer "dwell" is a tab left open. */
export const MAX_DWELL_MS = 86_400_000;
/** Highest price bucket (2·log2(1 + 1e9) ≈ 60). */
export const MAX_PRICE_BUCKET = 63;

/** Shortens a field path or event name for a reason message (bounded work on any length). */
export function clip(s: string, max = 64): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Decimal notation only ("12.50", "-3", "1e3"): Number() would also take "0x1f" and "0b11". */
function isDecimal(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    // 0-9 . + - e E
    if (!((c >= 48 && c <= 57) || c === 46 || c === 43 || c === 45 || c === 101 || c === 69)) return false;
  }
  return true;
}

/**
 * Parses a finite number from a number or a numeric string ("12.50" → 12.5); a blank string is absent.
 * Refuses non-finite values, over-long strings and every other type (BigInt, symbol, object, boolean).
 */
export function toFiniteNumber(v: unknown): number | undefined | Fail {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    return Number.isFinite(v) ? v : new Fail('invalid_type', `must be a finite number, got ${v}`);
  }
  if (typeof v === 'string') {
    if (v.length > MAX_NUMERIC_STRING) return new Fail('too_large', `is a ${v.length}-character string, expected a number`);
    const t = v.trim();
    if (t === '') return undefined; // templates print an absent price or position as an empty string
    const n = !isDecimal(t) ? NaN : Number(t);
    if (Number.isFinite(n)) return n;
    // The value itself is not echoed: rejection reasons are kept in the audit log, values may be personal.
    return new Fail('invalid_type', `must be a number or a decimal numeric string, got a ${t.length}-character string`);
  }
  return new Fail('invalid_type', `must be a number, got ${typeof v}`);
}

/** A non-negative integer (position, quantity), from a number or numeric string. */
export function toCount(v: unknown): number | undefined | Fail {
  const n = toFiniteNumber(v);
  if (n === undefined || n instanceof Fail) return n;
  if (!Number.isInteger(n) || n < 0) return new Fail('invalid_item', `must be a non-negative integer, got ${n}`);
  if (n > MAX_COUNT) return new Fail('invalid_item', `is ${n}, max ${MAX_COUNT}`);
  return n;
}

/**
 * Price or order value → a half-octave log bucket: bucket = floor(2·log2(1 + x)). 0 → 0, 9.99 → 6,
 * 100 → 13, 1,000 → 19. A bucket tells the model "cheap vs. premium" without storing what was paid.
 */
export function priceBucket(x: number): number {
  if (!(x > 0)) return 0;
  const b = Math.floor(2 * Math.log2(1 + x));
  return b > MAX_PRICE_BUCKET ? MAX_PRICE_BUCKET : b;
}

/** Lower bound of a price bucket (inverse of {@link priceBucket}), for display and tests. */
export function bucketLowerBound(b: number): number {
  return 2 ** (b / 2) - 1;
}

/** A price or value: finite, non-negative, returned as its bucket. */
export function toBucket(v: unknown): number | undefined | Fail {
  const n = toFiniteNumber(v);
  if (n === undefined || n instanceof Fail) return n;
  if (n < 0) return new Fail('invalid_item', `must not be negative, got ${n}`);
  return priceBucket(n);
}

/**
 * Why a short string looks like personal data or a link, or null. Works on strings already bounded by
 * the caller's length limit, so the scans below are O(limit).
 */
export function piiReason(s: string): string | null {
  const at = s.indexOf('@');
  // Email shape: something@something.something, no whitespace. "@" alone (e.g. "tee@2x") is not enough.
  if (at > 0) {
    const dot = s.indexOf('.', at + 2);
    if (dot > 0 && dot < s.length - 1 && s.indexOf(' ') < 0) return 'looks like an email address';
  }
  if (s.startsWith('gid://')) {
    return isProductGid(s) ? null : 'is a platform global id of something other than a product or variant (a customer\'s or an order\'s id can identify a person)';
  }
  if (s.indexOf('://') >= 0 || s.startsWith('www.')) return 'looks like a URL';
  return null;
}

/**
 * A Shopify-style global id of a product or a variant ("gid://shopify/Product/123",
 * "gid://shopify/ProductVariant/456"): an id, not a link, stored as given. Only those two types: a gid names
 * any object of the platform, a customer or an order too.
 */
function isProductGid(s: string): boolean {
  if (s.indexOf('://', 6) >= 0) return false;
  const a = s.indexOf('/', 6);
  const b = a < 0 ? -1 : s.indexOf('/', a + 1);
  if (a <= 6 || b < 0 || b + 1 >= s.length) return false;
  const type = s.slice(a + 1, b);
  return type === 'Product' || type === 'ProductVariant';
}

/**
 * A trimmed identifier-like string from a string or a finite number. Refuses other types, strings longer
 * than `max` (before and after trimming), and values that look like emails or URLs.
 */
export function toIdString(v: unknown, max: number, code: RejectCode = 'invalid_item'): string | undefined | Fail {
  let s: string;
  if (typeof v === 'string') {
    // A generous pre-trim bound keeps trim() cheap on a hostile megabyte string.
    if (v.length > max * 4) return new Fail('too_large', `is ${v.length} characters, max ${max}`);
    s = v.trim();
  } else if (typeof v === 'number') {
    if (!Number.isFinite(v)) return new Fail('invalid_type', `must be a finite number or a string, got ${v}`);
    s = String(v);
  } else if (v === undefined || v === null) {
    return undefined;
  } else {
    return new Fail('invalid_type', `must be a string or a number, got ${typeof v}`);
  }
  if (s === '') return undefined;
  if (s.length > max) return new Fail('too_large', `is ${s.length} characters, max ${max}`);
  const pii = piiReason(s);
  if (pii !== null) return new Fail(code, `${pii}; personal data is never stored`);
  return s;
}
