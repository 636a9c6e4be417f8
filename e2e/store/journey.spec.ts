// A shopper's full journey through the demo store, with every step checked in what Perch stored.
import { expect, go, open, stored, test } from './fixtures.js';

test('browse → search → product → cart → purchase is tracked through the public API', async ({ page, store, errors }) => {
  await open(page, store, '/?mode=on-device&consent=all');
  await expect(page.locator('#consent-banner')).toBeHidden();
  await expect(page.locator('[data-list="home_popular"] .card')).toHaveCount(12);

  // Browse: a category from the home page's category bar, by keyboard.
  await page.locator('.cats a').first().focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('.cats a[aria-current="page"]')).toHaveCount(1);
  const catCards = page.locator('.list .grid .card');
  await expect(catCards).toHaveCount(48);

  // Search over generated names and attributes (brand, category path).
  await page.fill('#q', 'serum');
  await page.press('#q', 'Enter');
  await expect(page.locator('[data-list="search_results"] .card').first()).toBeVisible();
  await expect(page.locator('[data-list="search_results"] .card-meta').first()).toContainText('Serum');

  // Product page from a search result, then "customers also viewed".
  const first = page.locator('[data-list="search_results"] .card').first();
  const productId = await first.getAttribute('data-item-id');
  await first.locator('.card-link').click();
  await expect(page).toHaveURL(new RegExp(`#/product/${productId}$`));
  await expect(page.locator('[data-list="also_viewed"] .card').first()).toBeVisible();
  await page.locator('.product [data-add]').click();
  await expect(page.locator('#cart-count')).toHaveText('1');

  // Cart with suggestions, then checkout.
  await go(page, '#/cart');
  await expect(page.locator('.cart li')).toHaveCount(1);
  await expect(page.locator('[data-list="cart_suggestions"] .card').first()).toBeVisible();
  await page.click('#to-checkout');
  await page.click('#place-order');
  await expect(page.locator('h1')).toHaveText('Thank you!');
  await expect(page.locator('#cart-count')).toHaveText('0');

  const events = await stored(page);
  const types = events.map((e) => e.type);
  for (const t of ['search', 'view_search_results', 'select_item', 'view_item', 'add_to_cart', 'view_cart', 'begin_checkout', 'purchase']) expect(types).toContain(t);
  const purchase = events.find((e) => e.type === 'purchase')!;
  expect(purchase.items.map((i) => i.id)).toEqual([productId]);
  expect(events.find((e) => e.type === 'view_item')!.items[0]!.id).toBe(productId);
  // The order id is never stored (Perch's minimisation), even though the shop passed one.
  expect(JSON.stringify(events)).not.toContain('transaction');
  expect(errors).toEqual([]);
});
