// The seeded GA4 generator: deterministic, shaped like an export, and read the same from Parquet and from
// newline-delimited JSON (BigQuery's conventions), including when both are given at once.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateGa4 } from './generate-ga4.js';
import { readEvents, type EventLog } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'perch-gen-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');
const NOW = new Date('2024-06-01T00:00:00Z');

function summary(log: EventLog): unknown {
  return {
    itemIds: log.itemIds, itemCategory: log.itemCategory, itemBrand: log.itemBrand, sessionKeys: log.sessionKeys, sessionUsers: log.sessionUsers,
    offsets: Array.from(log.offsets), item: Array.from(log.item), kind: Array.from(log.kind), time: Array.from(log.time),
  };
}

describe('generate-ga4', async () => {
  const n = 3000;
  const pq = join(dir, 'a.parquet'), pq2 = join(dir, 'b.parquet'), pq3 = join(dir, 'c.parquet'), json = join(dir, 'events_20240301.json');
  expect(await generateGa4({ events: n, out: pq, seed: 7, dirty: 0.01 })).toBe(n + 30);
  await generateGa4({ events: n, out: pq2, seed: 7, dirty: 0.01 });
  await generateGa4({ events: n, out: pq3, seed: 8, dirty: 0.01 });
  await generateGa4({ events: n, out: json, seed: 7, dirty: 0.01 });

  it('writes the same file for the same seed, another for another seed', () => {
    expect(sha(pq)).toBe(sha(pq2));
    expect(sha(pq)).not.toBe(sha(pq3));
  });

  it('writes BigQuery JSON: INT64 as strings, nested event_params and items', () => {
    const first = JSON.parse(readFileSync(json, 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect(typeof first.event_timestamp).toBe('string');
    expect(first.event_name).toBe('session_start');
    const params = first.event_params as { key: string; value: { int_value: string | null } }[];
    expect(params.find((p) => p.key === 'ga_session_id')?.value.int_value).toMatch(/^\d{10}$/);
  });

  const fromParquet = await readEvents(pq, { now: NOW });
  const fromJson = await readEvents(json, { now: NOW });

  it('reads to the same sessions from Parquet and from JSON', () => {
    expect(summary(fromJson)).toEqual(summary(fromParquet));
    expect(fromParquet.sessionKeys.length).toBeGreaterThan(100);
    expect(fromParquet.report.counts.get('sessions.by_inactivity_gap')).toBe(0);
  });

  it('has the shape of a shop: the funnel mix, items with categories and brands, a few popular items', () => {
    const c = fromParquet.report.counts;
    expect(c.get('rows')).toBe(n + 30);
    expect(c.get('events.view_item')!).toBeGreaterThan(c.get('events.add_to_cart')!);
    expect(c.get('events.add_to_cart')!).toBeGreaterThan(c.get('events.purchase')!);
    expect(fromParquet.itemCategory.every((x) => x !== '')).toBe(true);
    expect(fromParquet.itemBrand.every((x) => x.startsWith('Brand '))).toBe(true);
    const freq = new Map<number, number>();
    for (const i of fromParquet.item) freq.set(i, (freq.get(i) ?? 0) + 1);
    const counts = [...freq.values()].sort((a, b) => b - a);
    // Zipf-like: the top 10% of the items seen take far more than 10% of the steps
    const top = counts.slice(0, Math.ceil(counts.length / 10)).reduce((a, b) => a + b, 0);
    expect(top / fromParquet.item.length).toBeGreaterThan(0.3);
  });

  it('makes the dirt it is asked for: duplicates and milliseconds, each counted', () => {
    const p = fromParquet.report.problems;
    // 30 rows have milliseconds; repairs are counted on the events the model reads (those with an intent kind)
    expect(p.get('event_timestamp in milliseconds, not microseconds (converted)')?.count).toBeGreaterThan(0);
    expect(p.get('event_timestamp in milliseconds, not microseconds (converted)')?.count).toBeLessThanOrEqual(30);
    expect(p.get('duplicate event (same user, session, time, name and items; dropped)')?.count).toBeGreaterThan(0);
    expect(p.get('duplicate event (same user, session, time, name and items; dropped)')?.count).toBeLessThanOrEqual(30);
  });

  it('reads Parquet and JSON together (one relation, times as text)', async () => {
    const both = await readEvents([pq, json], { now: NOW });
    expect(summary(both)).toEqual(summary(fromParquet));
    expect(both.report.counts.get('rows')).toBe(2 * (n + 30));
  });
});
