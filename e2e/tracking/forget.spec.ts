// Erasure and portability: forget() leaves no Perch database; exportData() round-trips.
import { validateEvent } from '../../packages/sdk/src/shared/events/index.js';
import { boot, databases, expect, test, type PerchWindow } from './fixtures.js';

test('forget() deletes the database and everything queued', async ({ page, server, errors }) => {
  await boot(page, server, { dbName: 'forget-me', consent: { storage: 'granted' } });
  await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    for (let i = 0; i < 200; i++) p.track('view_item', { items: [{ item_id: `f${i}` }] });
    await p.flush();
  });
  expect(await databases(page)).toContain('forget-me');
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    // Queued but not yet flushed: must go too.
    for (let i = 0; i < 50; i++) p.track('view_item', { items: [{ item_id: `q${i}` }] });
    await p.forget();
    const names = (await indexedDB.databases()).map((d) => d.name);
    return { names, audit: await p.audit() };
  });
  expect(out.names).not.toContain('forget-me');
  expect(out.audit.storage.events).toBe(0);
  expect(await databases(page)).toEqual([]);
  // Storage is still granted: the next event starts a fresh database with only itself.
  const next = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.track('view_item', { items: [{ item_id: 'fresh' }] });
    await p.flush();
    return (await p.exportData()).events.map((e: any) => e.items[0].id);
  });
  expect(next).toEqual(['fresh']);
  expect(errors).toEqual([]);
});

test('exportData() round-trips: JSON-stable, versioned, and exactly the minimised events', async ({ page, server }) => {
  const calls: Array<[string, Record<string, unknown>]> = [
    ['view_item_list', { item_list_id: 'home', items: [{ item_id: 'A', index: 0, item_name: 'secret name', price: '19.90' }, { item_id: 'B', index: 1 }] }],
    ['select_item', { item_list_id: 'home', items: [{ item_id: 'B', index: 1, item_brand: 'Acme' }] }],
    ['add_to_cart', { currency: 'EUR', value: 19.9, items: [{ item_id: 'B', quantity: 2, coupon: 'X' }] }],
    ['purchase', { transaction_id: 'T-1', value: 39.8, items: [{ item_id: 'B', quantity: 2 }] }],
  ];
  await boot(page, server, { dbName: 'export', consent: { storage: 'granted', personalization: 'granted' } });
  const out = await page.evaluate(async (calls) => {
    const p = (window as unknown as PerchWindow).perch;
    for (const [n, props] of calls) p.track(n, props);
    p.track('nope', {});
    await p.flush();
    const data = await p.exportData();
    return { json: JSON.stringify(data), data };
  }, calls);
  const parsed = JSON.parse(out.json);
  expect(parsed).toEqual(out.data);
  expect(parsed).toMatchObject({ format: 'perch-export', version: 1, consent: { storage: 'granted', personalization: 'granted' } });
  expect(parsed.events).toHaveLength(calls.length);
  parsed.events.forEach((e: { ts: number }, i: number) => {
    const [name, props] = calls[i]!;
    const expected = validateEvent(name, props, e.ts);
    expect(expected.ok).toBe(true);
    if (expected.ok) expect(e).toEqual(expected.event);
  });
  expect(out.json).not.toContain('secret name');
  expect(out.json).not.toContain('T-1');
  expect(parsed.rejected.map((r: { code: string }) => r.code)).toEqual(['unknown_event']);
  expect(parsed.consentLog.map((e: { source: string }) => e.source)).toEqual(['init']);
});
