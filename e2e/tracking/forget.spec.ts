// Erasure and portability: forget() leaves no Perch database; exportData() round-trips.
import { parseExports } from '@perch/model/data';
import { EVENT_KINDS } from '@perch/model/spec';
import { validateEvent } from '@perch/sdk/internal';
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
  parsed.events.forEach(({ eventId, ...e }: { eventId: number; ts: number }, i: number) => {
    const [name, props] = calls[i]!;
    const expected = validateEvent(name, props, e.ts);
    expect(expected.ok).toBe(true);
    // Each exported event carries its stable id (what forget({ eventIds }) deletes by), in stored order.
    expect(Number.isSafeInteger(eventId) && eventId > 0).toBe(true);
    if (i > 0) expect(eventId).toBeGreaterThan(parsed.events[i - 1].eventId);
    if (expected.ok) expect(e).toEqual(expected.event);
  });
  expect(out.json).not.toContain('secret name');
  expect(out.json).not.toContain('T-1');
  expect(parsed.rejected.map((r: { code: string }) => r.code)).toEqual(['unknown_event']);
  expect(parsed.consentLog.map((e: { source: string }) => e.source)).toEqual(['init']);
  // The trainer reads the browser's export as it is: one shopper, the intent events in order (the list
  // impression carries none), the brand as an attribute, nothing malformed.
  const ds = parseExports(out.json, 'export.json');
  expect(ds.stats.malformed).toBe(0);
  expect(ds.sequences).toHaveLength(1);
  const seq = ds.sequences[0]!;
  expect(Array.from(seq.items, (r) => ds.vocab[r])).toEqual(['B', 'B', 'B']);
  expect(Array.from(seq.kinds, (k) => EVENT_KINDS[k])).toEqual(['click', 'cart', 'purchase']);
  const b = ds.vocab.indexOf('B');
  expect(Array.from(ds.attrIds.subarray(ds.attrOffsets[b]!, ds.attrOffsets[b + 1]!), (a) => ds.attrVocab[a])).toEqual(['brand:Acme']);
});

test('forget({ eventIds }) deletes one event by id; the others stay, across a reload', async ({ page, server, errors }) => {
  const config = { dbName: 'forget-one', consent: { storage: 'granted' } };
  await boot(page, server, config);
  const first = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    for (const id of ['first', 'middle', 'last']) p.track('view_item', { items: [{ item_id: id }] });
    await p.flush();
    const events = (await p.exportData()).events as { eventId: number; items: { id: string }[] }[];
    const middle = events.find((e) => e.items[0]?.id === 'middle')!.eventId;
    return { events, result: await p.forget({ eventIds: [middle] }), again: await p.forget({ eventIds: [middle] }) };
  });
  expect(first.events.map((e) => e.items[0]?.id)).toEqual(['first', 'middle', 'last']);
  expect(first.result).toEqual({ ok: true, deleted: 1 });
  // A second delete of the same id finds nothing: reported, not an error.
  expect(first.again).toEqual({ ok: true, deleted: 0, missing: [first.events[1]!.eventId] });

  await page.reload();
  await boot(page, server, config);
  const after = await page.evaluate(async () => (await (window as unknown as PerchWindow).perch.exportData()).events as { eventId: number; items: { id: string }[] }[]);
  expect(after.map((e) => e.items[0]?.id)).toEqual(['first', 'last']);
  // Ids are stable: the survivors keep the ids the first export showed.
  expect(after.map((e) => e.eventId)).toEqual([first.events[0]!.eventId, first.events[2]!.eventId]);
  expect(errors).toEqual([]);
});

test('forget() with a bad argument resolves { ok: false, reason } and deletes nothing', async ({ page, server, errors }) => {
  await boot(page, server, { dbName: 'forget-bad', consent: { storage: 'granted' } });
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.track('view_item', { items: [{ item_id: 'keep' }] });
    await p.flush();
    const results: unknown[] = [];
    const bad: unknown[] = [{}, { eventId: 1 }, { eventIds: [] }, { eventIds: 'all' }, { eventIds: [0] }, { eventIds: [1.5] }, { eventIds: ['1'] },
      { get eventIds() { throw new Error('hostile getter'); } }];
    for (const arg of bad) {
      try {
        results.push(await p.forget(arg as never));
      } catch (e) {
        results.push(`threw ${String(e)}`);
      }
    }
    return { results, events: (await p.exportData()).events.length };
  });
  for (const r of out.results) expect(r).toMatchObject({ ok: false, reason: expect.any(String) });
  expect(out.events).toBe(1);
  expect(errors).toEqual([]);
});

test('forget({ eventIds }) without storage consent, and after forget(): nothing to delete, no database created', async ({ page, server }) => {
  await boot(page, server, { dbName: 'forget-none' });
  const pending = await page.evaluate(() => (window as unknown as PerchWindow).perch.forget({ eventIds: [1] }));
  expect(pending).toMatchObject({ ok: false, reason: expect.stringMatching(/storage consent pending/) });
  const after = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.consent.set({ storage: 'granted' });
    p.track('view_item', { items: [{ item_id: 'x' }] });
    await p.flush();
    const all = await p.forget();
    return { all, one: await p.forget({ eventIds: [1] }), names: (await indexedDB.databases()).map((d) => d.name) };
  });
  expect(after.all).toEqual({ ok: true });
  expect(after.one).toEqual({ ok: true, deleted: 0, missing: [1] });
  expect(after.names).not.toContain('forget-none');
});

for (const [name, extra, kind] of [
  ['memory in the worker (no IndexedDB)', { __test: { noIndexedDB: true } }, 'memory-worker'],
  ['memory on the page (the worker cannot start)', { workerUrl: '/dist/missing-worker.js' }, 'memory-main'],
] as const) {
  test(`forget({ eventIds }) in the ${name} fallback`, async ({ page, server, errors }) => {
    await boot(page, server, { dbName: `forget-${kind}`, consent: { storage: 'granted' }, ...extra });
    const out = await page.evaluate(async () => {
      const p = (window as unknown as PerchWindow).perch;
      for (const id of ['a', 'b', 'c']) p.track('view_item', { items: [{ item_id: id }] });
      await p.flush();
      const before = (await p.exportData()).events as { eventId: number; items: { id: string }[] }[];
      const result = await p.forget({ eventIds: [before[1]!.eventId] });
      const after = (await p.exportData()).events as { eventId: number; items: { id: string }[] }[];
      return { kind: (await p.audit()).storage.kind, before, result, after };
    });
    expect(out.kind).toBe(kind);
    expect(out.result).toEqual({ ok: true, deleted: 1 });
    expect(out.after.map((e) => e.items[0]?.id)).toEqual(['a', 'c']);
    expect(out.after.map((e) => e.eventId)).toEqual([out.before[0]!.eventId, out.before[2]!.eventId]);
    expect(errors).toEqual([]);
  });
}
