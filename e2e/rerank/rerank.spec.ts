// Reranking in Chromium through the real SDK worker, the real small Beauty model and real IndexedDB.
import { categoryHistory, expect, intent, loadModel, mixedList, modelOptions, rerank, startWorker, store, test } from './fixtures.js';

/** Item ids an explanation names ("because you viewed 123", "… added 123 to your cart"). */
const named = (s: string): string[] => [...s.matchAll(/you (?:viewed|added|clicked|bought|saved|checked out with) (\S+)/g)].map((m) => m[1] as string);

test('after viewing and carting one category, a mixed list puts that category first, explained by real events', async ({ page, server, catalog, errors }) => {
  await startWorker(page, server, 'rr-category');
  const history = categoryHistory(catalog);
  await store(page, history);
  const status = await loadModel(page, modelOptions(server, { backend: 'cpu' }));
  expect(status.state).toBe('ready');
  const list = mixedList(catalog);
  const reply = await rerank(page, { items: list.map((i) => ({ id: i.item_id, category: i.item_category })), options: { blend: 1 }, personalization: 'granted' });
  expect(reply.personalized).toBe(true);
  const top10 = reply.order.slice(0, 10).map((i) => list[i]!);
  const inCat = top10.filter((i) => i.item_category === catalog.category).length;
  // The shop put the category last (positions 30-39); at random 2.5 of the top 10 would be from it. The model
  // predicts the next item, and Beauty shoppers also go on to complements in other categories, so not all ten:
  // the spec v1 model put 7 there, the v2 model (input skip, better next-item accuracy) puts 6.
  expect(inCat, `top 10: ${JSON.stringify(top10)}`).toBeGreaterThanOrEqual(6);
  const pos = (inCategory: boolean): number[] => reply.order.flatMap((i, p) => ((list[i]!.item_category === catalog.category) === inCategory ? [p] : []));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  expect(mean(pos(true))).toBeLessThan(mean(pos(false)) / 2);
  // Every explanation names only events that happened; the category's items are explained by the history.
  const seen = new Set(history.map((e) => e.items[0]!.id));
  for (const [i, text] of reply.explanations.entries()) {
    if (text === null) continue;
    expect(named(text).length).toBeGreaterThan(0);
    for (const id of named(text)) expect(seen.has(id), `${text}`).toBe(true);
    if (list[i]!.item_category === catalog.category) expect(text).toContain(`category ${catalog.category}`);
  }
  for (const i of reply.order.slice(0, 10)) if (list[i]!.item_category === catalog.category) expect(reply.explanations[i]).toBeTruthy();
  // Items of other categories the shopper never touched get no invented reason.
  const unrelated = list.findIndex((i) => i.item_category !== catalog.category && !history.some((e) => e.items[0]!.category === i.item_category));
  expect(reply.explanations[unrelated]).toBeNull();

  const profile = await intent(page);
  expect(profile.categories[0]?.id).toBe(catalog.category);
  expect(profile.recent[0]).toBe(history[history.length - 1]!.items[0]!.id);
  expect(profile.purchaseIntent).toBeGreaterThanOrEqual(0);
  expect(profile.purchaseIntent).toBeLessThanOrEqual(1);
  expect(errors).toEqual([]);
});

test('pinned items never move; blend 0 is the shop order; each item carries its attribution token', async ({ page, server, catalog }) => {
  await startWorker(page, server, 'rr-pins');
  await store(page, categoryHistory(catalog));
  await loadModel(page, modelOptions(server, { backend: 'cpu' }));
  const list = mixedList(catalog).map((i) => ({ id: i.item_id, category: i.item_category }));
  const pinned = [0, 1, 7, 39];
  const reply = await rerank(page, { items: list, options: { blend: 1, pinned, diversity: 0.3 }, personalization: 'granted' });
  expect(reply.personalized).toBe(true);
  for (const p of pinned) expect(reply.order[p]).toBe(p);
  expect(reply.order.slice().sort((a, b) => a - b)).toEqual(list.map((_, i) => i));
  expect(reply.order).not.toEqual(list.map((_, i) => i));
  reply.order.forEach((i, pos) => expect(reply.attribution[i]).toMatch(new RegExp(`^prk1-[0-9a-z]+-${i}-${pos}-p$`)));
  const shop = await rerank(page, { items: list, options: { blend: 0 }, personalization: 'granted' });
  expect(shop.order).toEqual(list.map((_, i) => i));
});

test('without personalization consent, or without a model, the shop order comes back with the reason', async ({ page, server, catalog }) => {
  await startWorker(page, server, 'rr-consent');
  await store(page, categoryHistory(catalog));
  const list = mixedList(catalog).map((i) => ({ id: i.item_id, category: i.item_category }));
  const identity = list.map((_, i) => i);
  const noModel = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
  expect(noModel).toMatchObject({ personalized: false, reason: 'no model', order: identity });
  await loadModel(page, modelOptions(server, { backend: 'cpu' }));
  for (const personalization of ['denied', 'pending'] as const) {
    const r = await rerank(page, { items: list, options: { blend: 1 }, personalization });
    expect(r).toMatchObject({ personalized: false, reason: 'no consent for personalization', order: identity });
    expect(r.explanations.every((e) => e === null)).toBe(true);
  }
});

test('a model that never loads leaves the shop order', async ({ page, server, catalog }) => {
  server.model = { down: true };
  try {
    await startWorker(page, server, 'rr-down');
    await store(page, categoryHistory(catalog));
    const status = await loadModel(page, modelOptions(server));
    expect(status.state).toBe('failed');
    expect(status.error).toMatch(/503/);
    const list = mixedList(catalog).map((i) => ({ id: i.item_id }));
    const r = await rerank(page, { items: list, personalization: 'granted' });
    expect(r.personalized).toBe(false);
    expect(r.reason).toMatch(/^no model/);
    expect(r.order).toEqual(list.map((_, i) => i));
  } finally {
    server.model = {};
  }
});
