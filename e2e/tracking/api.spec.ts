// The public surface: rerank/intent without a model, destroy → init again, and hostile arguments to
// every function (nothing throws, every promise resolves).
import { boot, expect, open, test, type PerchWindow } from './fixtures.js';

test('rerank() without a model returns the shop order with a reason, within its budget; intent() an empty profile', async ({ page, server }) => {
  await boot(page, server, { dbName: 'api', consent: { storage: 'granted', personalization: 'granted' } });
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    const list = [{ item_id: 'a', item_name: 'Red shoe' }, { item_id: 'b' }, { item_id: 'c' }];
    const r = await p.rerank(list, { blend: 1, timeoutMs: 5_000 });
    const t0 = performance.now();
    const late = await p.rerank(list, { timeoutMs: 0 });
    const lateMs = performance.now() - t0;
    p.consent.set({ personalization: 'denied' });
    const denied = await p.rerank(list);
    return { r, late, lateMs, denied, i: await p.intent() };
  });
  // The shop's own objects come back, in the shop's order.
  expect(out.r.items.map((x) => [x.item.item_id, x.originalIndex])).toEqual([['a', 0], ['b', 1], ['c', 2]]);
  expect(out.r.items[0]?.item).toEqual({ item_id: 'a', item_name: 'Red shoe' });
  expect(out.r.personalized).toBe(false);
  expect(typeof out.r.reason).toBe('string');
  expect(out.late).toMatchObject({ personalized: false, reason: 'timeout after 0 ms' });
  expect(out.late.items).toHaveLength(3);
  expect(out.lateMs).toBeLessThan(1_000);
  expect(out.denied).toMatchObject({ personalized: false, reason: 'personalization consent denied' });
  expect(out.denied.items.map((x) => x.originalIndex)).toEqual([0, 1, 2]);
  expect(out.i).toEqual({ purchaseIntent: null, categories: [], brands: [], recent: [] });
});

test('destroy() stops the worker and init() can start again on the same data', async ({ page, server, errors }) => {
  await boot(page, server, { dbName: 'again', consent: { storage: 'granted' } });
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.track('view_item', { items: [{ item_id: 'one' }] });
    await p.destroy();
    const between = p.consent.get().storage;
    await p.init({ dbName: 'again', consent: { storage: 'granted' } });
    p.track('view_item', { items: [{ item_id: 'two' }] });
    await p.flush();
    return { between, ids: (await p.exportData()).events.map((e: any) => e.items[0].id) };
  });
  expect(out).toEqual({ between: 'pending', ids: ['one', 'two'] });
  expect(errors).toEqual([]);
});

test('hostile arguments to every public function: no throw, every promise resolves', async ({ page, server, errors }) => {
  await open(page, server);
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch as any;
    const evil = new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } });
    const results: string[] = [];
    const run = async (name: string, fn: () => unknown) => {
      try {
        const v = await fn();
        results.push(`${name}:${typeof v}`);
      } catch (e) {
        results.push(`${name}:THREW ${e}`);
      }
    };
    await run('init', () => p.init(evil));
    await run('init2', () => p.init('nonsense'));
    await run('track', () => p.track(evil, evil));
    await run('set', () => p.consent.set(evil));
    await run('set2', () => p.consent.set({ storage: 'granted', training: 42 }));
    await run('onChange', () => p.consent.onChange('not a function'));
    await run('rerank', () => p.rerank(evil, evil));
    await run('rerank2', () => p.rerank(null));
    await run('intent', () => p.intent(evil));
    await run('flush', () => p.flush(evil));
    await run('audit', () => p.audit());
    await run('export', () => p.exportData());
    await run('forget', () => p.forget());
    await run('destroy', () => p.destroy());
    // A hostile config must not leave Perch half-started: a proper init still works afterwards.
    await p.init({ dbName: 'hostile', consent: { storage: 'granted' } });
    p.track('view_item', { items: [{ item_id: 'ok' }] });
    await p.flush();
    const audit = await p.audit();
    return { results, kind: audit.storage.kind, events: audit.storage.events };
  });
  expect(out.results.filter((r) => r.includes('THREW'))).toEqual([]);
  expect(out.results).toHaveLength(14);
  expect(out).toMatchObject({ kind: 'indexeddb', events: 1 });
  expect(errors).toEqual([]);
});
