/**
 * Attribute values of a Merchant Center feed → typed values, each rule from the product data specification
 * (support.google.com/merchants/answer/7052112 and the attribute pages it links). Pure functions: the caller
 * counts what they report.
 */

/** A price as the spec writes it: a number with `.` as decimal point and an ISO 4217 code ("15.00 USD"). */
export interface Price {
  amount: number;
  /** Upper-case ISO 4217 code; undefined when the value gave none ("25", as Google's oldest examples do). */
  currency?: string;
}

/** Why a price value was not taken. */
export type PriceProblem = 'does not parse' | 'is negative' | 'has an unknown currency code';

const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

// "15.00 USD", "USD 15.00", "15.00USD", "15", "-3 EUR" (the sign only so that a negative price is named as such)
const AMOUNT_FIRST = /^([+-]?)(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]{3})?$/;
const CODE_FIRST = /^([A-Za-z]{3})\s*([+-]?)(\d+(?:\.\d+)?|\.\d+)$/;

/**
 * Parses a `price` / `sale_price` value. Accepted: an amount in decimal notation with `.` as the decimal point
 * and no thousands separators, followed (or preceded) by a three-letter ISO 4217 code, with or without a space;
 * or the amount alone. Refused: anything else ("19,99 EUR", "$15", "abc"), a negative amount, a code that is no
 * ISO 4217 currency.
 */
export function parsePrice(raw: string): Price | PriceProblem {
  const s = raw.trim();
  if (s.length > 40) return 'does not parse';
  let sign: string, num: string, code: string | undefined;
  let m = AMOUNT_FIRST.exec(s);
  if (m) { sign = m[1]!; num = m[2]!; code = m[3]; } else {
    m = CODE_FIRST.exec(s);
    if (!m) return 'does not parse';
    code = m[1]; sign = m[2]!; num = m[3]!;
  }
  const amount = Number(num);
  if (!Number.isFinite(amount)) return 'does not parse';
  if (sign === '-' && amount > 0) return 'is negative';
  if (code === undefined) return { amount };
  const currency = code.toUpperCase();
  if (!CURRENCIES.has(currency)) return 'has an unknown currency code';
  return { amount, currency };
}

/** The four values of `availability` (support.google.com/merchants/answer/6324448). */
export type Availability = 'in_stock' | 'out_of_stock' | 'preorder' | 'backorder';

const AVAILABILITY: Record<string, Availability> = {
  in_stock: 'in_stock', out_of_stock: 'out_of_stock', preorder: 'preorder', backorder: 'backorder',
  // the same with a separator inside the word, as some generators write them
  pre_order: 'preorder', back_order: 'backorder',
};

/**
 * An `availability` value, case-insensitive, with `_`, a space or `-` between words ("in stock", the older
 * spelling Google still lists, and "in_stock"); undefined for anything else.
 */
export function parseAvailability(raw: string): Availability | undefined {
  const key = raw.trim().toLowerCase().replace(/[\s_-]+/g, '_');
  return Object.prototype.hasOwnProperty.call(AVAILABILITY, key) ? AVAILABILITY[key] : undefined;
}

// HTML 4 Latin-1 entity names, in code point order from U+00A0.
const LATIN1 = ('nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 '
  + 'acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring '
  + 'AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times '
  + 'Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute '
  + 'ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc '
  + 'uuml yacute thorn yuml').split(' ');

/**
 * Named character references a shop's text may carry beyond XML's five: the HTML 4 Latin-1 set and the
 * typographic ones shop systems emit (dashes, quotes, ellipsis, trade mark, euro).
 */
export const HTML_ENTITIES: Readonly<Record<string, string>> = Object.freeze({
  ...Object.fromEntries(LATIN1.map((name, i) => [name, String.fromCharCode(0xa0 + i)])),
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'",
  OElig: '\u0152', oelig: '\u0153', Scaron: '\u0160', scaron: '\u0161', Yuml: '\u0178', circ: '\u02c6', tilde: '\u02dc',
  ensp: '\u2002', emsp: '\u2003', thinsp: '\u2009', zwnj: '\u200c', zwj: '\u200d', lrm: '\u200e', rlm: '\u200f',
  ndash: '\u2013', mdash: '\u2014', lsquo: '\u2018', rsquo: '\u2019', sbquo: '\u201a', ldquo: '\u201c', rdquo: '\u201d',
  bdquo: '\u201e', dagger: '\u2020', Dagger: '\u2021', bull: '\u2022', hellip: '\u2026', permil: '\u2030',
  prime: '\u2032', Prime: '\u2033', lsaquo: '\u2039', rsaquo: '\u203a', euro: '\u20ac', trade: '\u2122',
});

const ENTITY = /&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/g;

/** Decodes character references (`&amp;`, `&#39;`, `&#x27;`, `&eacute;`, …); unknown names are left as they are. */
export function decodeEntities(s: string): string {
  return s.replace(ENTITY, (whole, ref: string) => {
    if (ref.charCodeAt(0) === 35 /* # */) {
      const cp = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : whole;
    }
    return Object.prototype.hasOwnProperty.call(HTML_ENTITIES, ref) ? HTML_ENTITIES[ref]! : whole;
  });
}

/** Whether `s` holds a character reference {@link decodeEntities} would decode. */
export function hasEntity(s: string): boolean {
  if (s.indexOf('&') < 0) return false;
  ENTITY.lastIndex = 0;
  for (let m = ENTITY.exec(s); m; m = ENTITY.exec(s)) {
    const ref = m[1]!;
    if (ref.charCodeAt(0) === 35 || Object.prototype.hasOwnProperty.call(HTML_ENTITIES, ref)) { ENTITY.lastIndex = 0; return true; }
  }
  return false;
}

/** What {@link cleanText} repaired. */
export interface TextRepairs { entities: boolean; whitespace: boolean }

const WS_RUN = /[\s\u00a0]{2,}|[\t\n\r\f\v\u00a0]/;

/**
 * A text value as a shopper would read it: character references left after the feed's own decoding (text
 * escaped twice, `&amp;amp;`, or escaped HTML in CDATA or in a TSV cell) decoded once more, runs of
 * whitespace (tabs, line breaks, no-break spaces) collapsed to one space, ends trimmed.
 */
export function cleanText(raw: string, repairs?: TextRepairs, decode = true): string {
  let s = raw;
  if (decode && hasEntity(s)) { s = decodeEntities(s); if (repairs) repairs.entities = true; }
  if (WS_RUN.test(s)) {
    const t = s.replace(/[\s\u00a0]+/g, ' ');
    // spaces at the ends are formatting, not a repair
    if (repairs && t.trim() !== s.trim()) repairs.whitespace = true;
    s = t;
  }
  return s.trim();
}

/**
 * A category path ("Home > Women > Dresses") → its levels, most general first, each cleaned as text (character
 * references are decoded before the split, so an escaped `&gt;` separates levels too); empty levels
 * ("Home >  > Dresses", a trailing ">") are left out and counted in `emptyLevels`.
 */
export function splitPath(raw: string, repairs?: TextRepairs & { emptyLevels: number }): string[] {
  let s = raw;
  if (hasEntity(s)) { s = decodeEntities(s); if (repairs) repairs.entities = true; }
  const out: string[] = [];
  for (const part of s.split('>')) {
    const level = cleanText(part, repairs, false);
    if (level) out.push(level);
    else if (repairs) repairs.emptyLevels++;
  }
  return out;
}
