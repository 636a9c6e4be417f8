// Deleting single stored events (forgetEvents, the audit panel's per-event delete) must also take them out
// of the live intent state: no explanation may name a deleted event afterwards, and the profile forgets it.
import { categoryHistory, expect, intent, loadModel, mixedList, modelOptions, rerank, startWorker, store, test } from './fixtures.js';

test('events deleted one by one stop shaping explanations and the profile', async ({ page, server, catalog }) => {
  await startWorker(page, server, 'rr-forget-events');
  const history = categoryHistory(catalog);
  await store(page, history);
  expect((await loadModel(page, modelOptions(server, { backend: 'cpu' }))).state).toBe('ready');
  // The shop's list contains the items the shopper interacted with: each is explained by its own event.
  const touched = [...new Set(history.map((e) => e.items[0]!.id))];
  const list = [...touched.map((id) => ({ id, category: catalog.category })), ...mixedList(catalog).map((i) => ({ id: i.item_id, category: i.item_category }))];
  const before = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
  const victim = touched[0]!;
  expect(before.explanations[0]).toMatch(new RegExp(`you (?:viewed|added) ${victim}\\b`));
  expect((await intent(page)).recent).toContain(victim);

  // Delete every stored event about `victim` through the worker API the page's forget({ eventIds }) uses.
  const ids = await page.evaluate(async (id) => {
    const d = await (window as any).api.dump();
    return d.events.flatMap((e: any, k: number) => (e.items.some((it: any) => it.id === id) ? [d.eventIds[k]] : []));
  }, victim);
  expect(ids.length).toBeGreaterThan(0);
  const res = await page.evaluate((x) => (window as any).api.forgetEvents(x), ids);
  expect(res.deleted.sort()).toEqual(ids.sort());

  const after = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
  expect(after.personalized).toBe(true);
  for (const text of after.explanations) expect(String(text ?? '')).not.toMatch(new RegExp(`\\b${victim}\\b`));
  expect((await intent(page)).recent).not.toContain(victim);
  // The other interactions still explain their items.
  expect(after.explanations[1]).toMatch(new RegExp(`you (?:viewed|added) ${touched[1]}\\b`));
});
