// The audit panel's data inspector: each stored event shows its id and can be inspected and deleted on its
// own; the deletion holds across a reload (it is the SDK's public forget({ eventIds }), not a UI filter).
import { expect, go, open, stored, test } from './fixtures.js';

test('audit panel: "Delete" on one event removes exactly that event, for good', async ({ page, store, errors }) => {
  await open(page, store, '/?mode=on-device&consent=all');
  await page.locator('[data-list="home_popular"] .card-link').first().click();
  await expect(page.locator('.product h1')).toBeVisible();
  await page.locator('.product [data-add]').click();
  await go(page, '#/cart');
  const before = (await stored(page)) as unknown as { eventId: number; type: string }[];
  const target = before.find((e) => e.type === 'add_to_cart')!;
  expect(target).toBeDefined();
  expect(new Set(before.map((e) => e.eventId)).size).toBe(before.length);

  await go(page, '#/audit');
  await expect(page.locator('#events-table tbody tr')).toHaveCount(before.length);
  const row = page.locator('#events-table tbody tr', { has: page.locator(`[data-delete-event="${target.eventId}"]`) });
  // Inspect: the row opens to the exact stored JSON.
  await row.locator('summary').click();
  await expect(row.locator('pre')).toContainText('"type": "add_to_cart"');
  await row.locator(`[data-delete-event="${target.eventId}"]`).click();
  await expect(page.locator('#events-status')).toHaveText(`Deleted event ${target.eventId}.`);
  await expect(page.locator('#events-table tbody tr')).toHaveCount(before.length - 1);
  await expect(page.locator('#stored-events')).toHaveText(String(before.length - 1));

  await page.reload();
  await page.waitForFunction(() => document.getElementById('main')?.dataset.ready === '#/audit');
  const after = (await stored(page)) as unknown as { eventId: number }[];
  expect(after.map((e) => e.eventId)).toEqual(before.filter((e) => e !== target).map((e) => e.eventId));
  await expect(page.locator(`[data-delete-event="${target.eventId}"]`)).toHaveCount(0);
  expect(errors).toEqual([]);
});
