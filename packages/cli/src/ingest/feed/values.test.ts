import { priceBucket } from '@perch/sdk/events';
import { describe, expect, it } from 'vitest';
import { itemAttributes } from './index.js';
import { cleanText, decodeEntities, parseAvailability, parsePrice, splitPath } from './values.js';

describe('parsePrice', () => {
  it('reads the spec\'s form and its common variants', () => {
    expect(parsePrice('15.00 USD')).toEqual({ amount: 15, currency: 'USD' });
    expect(parsePrice(' 15.00 usd ')).toEqual({ amount: 15, currency: 'USD' });
    expect(parsePrice('USD 15.00')).toEqual({ amount: 15, currency: 'USD' });
    expect(parsePrice('15.00USD')).toEqual({ amount: 15, currency: 'USD' });
    expect(parsePrice('.99 EUR')).toEqual({ amount: 0.99, currency: 'EUR' });
    expect(parsePrice('0 EUR')).toEqual({ amount: 0, currency: 'EUR' });
    expect(parsePrice('25')).toEqual({ amount: 25 });
  });

  it('refuses what is not a decimal amount with a known ISO 4217 code', () => {
    expect(parsePrice('abc')).toBe('does not parse');
    expect(parsePrice('19,99 EUR')).toBe('does not parse');
    expect(parsePrice('1,299.00 USD')).toBe('does not parse');
    expect(parsePrice('$15')).toBe('does not parse');
    expect(parsePrice('15 US dollars')).toBe('does not parse');
    expect(parsePrice('1e3 USD')).toBe('does not parse');
    expect(parsePrice('')).toBe('does not parse');
    expect(parsePrice('-5.00 EUR')).toBe('is negative');
    expect(parsePrice('EUR -5')).toBe('is negative');
    expect(parsePrice('10.00 XYZ')).toBe('has an unknown currency code');
  });
});

describe('parseAvailability', () => {
  it('takes the four values in either spelling, any case', () => {
    expect(parseAvailability('in_stock')).toBe('in_stock');
    expect(parseAvailability('in stock')).toBe('in_stock');
    expect(parseAvailability(' In Stock ')).toBe('in_stock');
    expect(parseAvailability('OUT_OF_STOCK')).toBe('out_of_stock');
    expect(parseAvailability('out of stock')).toBe('out_of_stock');
    expect(parseAvailability('preorder')).toBe('preorder');
    expect(parseAvailability('pre-order')).toBe('preorder');
    expect(parseAvailability('backorder')).toBe('backorder');
    expect(parseAvailability('limited')).toBeUndefined();
    expect(parseAvailability('available for order')).toBeUndefined();
    expect(parseAvailability('__proto__')).toBeUndefined();
  });
});

describe('text', () => {
  it('decodes numeric and named references once; unknown names stay', () => {
    expect(decodeEntities('Ben &amp; Jerry&#39;s &#x2019; Caf&eacute; &euro;5 &bogus; &#0; AT&T')).toBe('Ben & Jerry\'s \u2019 Café €5 &bogus; &#0; AT&T');
    expect(decodeEntities('&amp;amp;')).toBe('&amp;');
    expect(decodeEntities('&toString;')).toBe('&toString;');
  });

  it('cleanText collapses whitespace runs and says what it repaired', () => {
    const r = { entities: false, whitespace: false };
    expect(cleanText('  Wool   sweater\n navy\t', r)).toBe('Wool sweater navy');
    expect(r).toEqual({ entities: false, whitespace: true });
    const r2 = { entities: false, whitespace: false };
    expect(cleanText('  H&amp;M ', r2)).toBe('H&M');
    expect(r2).toEqual({ entities: true, whitespace: false });
  });

  it('splitPath splits on ">", escaped or not, and drops empty levels', () => {
    const r = { entities: false, whitespace: false, emptyLevels: 0 };
    expect(splitPath('Home > Women > Dresses', r)).toEqual(['Home', 'Women', 'Dresses']);
    expect(r).toEqual({ entities: false, whitespace: false, emptyLevels: 0 });
    expect(splitPath('Home &gt; Women', r)).toEqual(['Home', 'Women']);
    expect(splitPath('Home >  > Decor >', r)).toEqual(['Home', 'Decor']);
    expect(r).toEqual({ entities: true, whitespace: false, emptyLevels: 2 });
    expect(splitPath('Apparel & Accessories > Handbags, Wallets & Cases')).toEqual(['Apparel & Accessories', 'Handbags, Wallets & Cases']);
  });
});

describe('itemAttributes', () => {
  it('names the most specific product_type level and the brand, not the price bucket', () => {
    const it1 = { id: 'A', productType: ['Women', 'Knitwear', 'Sweaters'], googleCategory: ['gpc:1604'], brand: 'Northwind', priceBucket: priceBucket(39) };
    expect(itemAttributes(it1)).toEqual({ attrs: ['cat:Sweaters', 'brand:Northwind'], category: 'Sweaters' });
  });

  it('names category and brand as track() stores them: cut to 64 characters', () => {
    const long = 'Extra-long category name that a shop typed into its product type field';
    expect(long.length).toBeGreaterThan(64);
    const a = itemAttributes({ id: 'L', productType: [long], googleCategory: [], brand: `  ${long} ` });
    expect(a).toEqual({ attrs: [`cat:${long.slice(0, 64).trim()}`, `brand:${long.slice(0, 64).trim()}`], category: long.slice(0, 64).trim() });
  });

  it('falls back to the Google category, and leaves out what is unknown', () => {
    expect(itemAttributes({ id: 'B', productType: [], googleCategory: ['Apparel & Accessories', 'Shoes'] })).toEqual({ attrs: ['cat:Shoes'], category: 'Shoes' });
    expect(itemAttributes({ id: 'C', productType: [], googleCategory: ['gpc:784'], priceBucket: 0 })).toEqual({ attrs: ['cat:gpc:784'], category: 'gpc:784' });
    expect(itemAttributes({ id: 'D', productType: [], googleCategory: [] })).toEqual({ attrs: [] });
  });
});
