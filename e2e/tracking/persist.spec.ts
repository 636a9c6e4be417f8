// Durability: 10,000 accepted events are in IndexedDB after flush() and still there after a reload;
// two tabs writing to the same database at the same time lose nothing.
import { boot, expect, test, type PerchWindow } from './fixtures.js';

const CONFIG = { dbName: 'persist', consent: { storage: 'granted' as const }, retention: { maxEvents: 20_000 } };

test('10,000 events are persisted and present after reload', async ({ page, server, errors }) => {
  await boot(page, server, CONFIG);
  const accepted = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    let ok = 0;
    for (let i = 0; i < 10_000; i++) {
      if (p.track(i % 3 ? 'view_item' : 'add_to_cart', { items: [{ item_id: `sku-${i}`, price: i % 200 }] })) ok++;
      if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 0));
    }
    await p.flush();
    return ok;
  });
  expect(accepted).toBe(10_000);
  await page.reload();
  await page.waitForFunction(() => (window as unknown as PerchWindow).perch?.loaded === true);
  const after = await page.evaluate(async (cfg) => {
    const p = (window as unknown as PerchWindow).perch;
    await p.init(cfg);
    const data = await p.exportData();
    const audit = await p.audit();
    return { ids: (data.events as Array<{ items: { id: string }[] }>).map((e) => e.items[0]?.id), audit };
  }, CONFIG);
  expect(after.ids).toHaveLength(10_000);
  expect(after.ids).toEqual(Array.from({ length: 10_000 }, (_, i) => `sku-${i}`));
  expect(after.audit.storage).toMatchObject({ kind: 'indexeddb', events: 10_000 });
  expect(after.audit.counts).toEqual({ view_item: 6_666, add_to_cart: 3_334 });
  expect(after.audit.storage.bytes).toBeGreaterThan(10_000 * 20);
  expect(errors).toEqual([]);
});

test('two tabs writing concurrently lose nothing', async ({ context, server }) => {
  const tabs = [await context.newPage(), await context.newPage()];
  await Promise.all(tabs.map((t) => boot(t, server, CONFIG)));
  const write = (tab: number) =>
    tabs[tab]!.evaluate(async (tab) => {
      const p = (window as unknown as PerchWindow).perch;
      for (let i = 0; i < 3_000; i++) {
        p.track('view_item', { items: [{ item_id: `t${tab}-${i}` }] });
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 0));
      }
      await p.flush();
    }, tab);
  await Promise.all([write(0), write(1)]);
  const ids = await tabs[1]!.evaluate(async () => {
    const data = await (window as unknown as PerchWindow).perch.exportData();
    return (data.events as Array<{ items: { id: string }[] }>).map((e) => e.items[0]?.id ?? '');
  });
  expect(ids).toHaveLength(6_000);
  expect(new Set(ids).size).toBe(6_000);
  for (const tab of [0, 1]) {
    const mine = ids.filter((id) => id.startsWith(`t${tab}-`));
    // Each tab's own events keep their order even when interleaved with the other tab's.
    expect(mine).toEqual(Array.from({ length: 3_000 }, (_, i) => `t${tab}-${i}`));
  }
});
