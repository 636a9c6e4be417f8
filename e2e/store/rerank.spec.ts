// Reranking in the store: after a shopper views and carts Makeup items, a mixed list puts Makeup higher in
// Perch's order than in the shop's, and every "why?" names an event that really happened on this device.
import { expect, go, open, stored, test, waitRoute } from './fixtures.js';

const VERB: Record<string, string> = { viewed: 'view_item', clicked: 'select_item', 'added': 'add_to_cart', bought: 'purchase', 'checked out with': 'begin_checkout' };

test('Perch moves the shopper\'s category up and explains with real past events', async ({ page, store, errors }) => {
  test.setTimeout(180_000);
  await open(page, store, '/?mode=on-device&consent=all');
  await expect.poll(() => page.evaluate(() => (window as any).perch.audit().then((a: { model: { version: string | null } }) => a.model.version)), { timeout: 60_000 }).not.toBeNull();
  for (let i = 0; i < 4; i++) {
    await go(page, '#/category/Makeup');
    await page.locator('.list .card').nth(i * 3).locator('.card-link').click();
    await waitRoute(page);
    await page.locator('.product [data-add]').click();
  }
  const events = await stored(page);
  // The intent panel follows the browsing: Makeup is the top category, with a purchase intent figure.
  await expect(page.locator('#intent [data-intent="category"]').first()).toContainText('Makeup');
  await expect(page.locator('#intent [data-intent="purchase"]')).toContainText(/\d+%/);
  await page.click('#compare-toggle');
  // Rerank within its time budget (the first call after a load may take longer than the budget).
  await expect.poll(async () => {
    await go(page, '#/');
    return page.locator('[data-list="home_popular"]').locator('xpath=..').locator('.status').getAttribute('data-personalized');
  }, { timeout: 30_000 }).toBe('true');

  const order = (sel: string) => page.locator(`${sel} .card`).evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.category ?? ''));
  const shop = await order('[data-list="home_popular-default"]');
  const perch = await order('[data-list="home_popular"]');
  const meanMakeup = (xs: string[]) => xs.reduce((s, c, i) => s + (c === 'Makeup' ? i : 0), 0) / Math.max(1, xs.filter((c) => c === 'Makeup').length);
  expect(shop.filter((c) => c === 'Makeup').length).toBeGreaterThan(0);
  expect(shop.filter((c) => c !== 'Makeup').length).toBeGreaterThan(0);
  expect(meanMakeup(perch)).toBeLessThan(meanMakeup(shop));

  // Every explanation refers to a stored event: "you <verb> <item id>" with that event type and item.
  const whys = await page.locator('[data-list="home_popular"] [data-why]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.why ?? ''));
  expect(whys.length).toBeGreaterThan(0);
  for (const why of whys) {
    const m = /you (viewed|clicked|added|bought|checked out with) ([^\s:()]+)/.exec(why);
    expect(m, why).not.toBeNull();
    const [, verb, id] = m!;
    expect(events.some((e) => e.type === VERB[verb!] && e.items.some((x) => x.id === id)), why).toBe(true);
  }
  // The readable text shown to the shopper names the product, not the id.
  await expect(page.locator('[data-list="home_popular"] .why span').first()).toContainText('“');
  expect(errors).toEqual([]);
});
