// Screenshots of the key pages at laptop and phone widths, saved under e2e/artifacts/screenshots/ for a person
// to look at; each page is checked to have rendered its content and to have no horizontal overflow.
import { expect, go, open, test, waitRoute } from './fixtures.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts', 'screenshots');
const sizes = { laptop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

for (const [device, viewport] of Object.entries(sizes)) {
  test(`key pages look like a shop (${device})`, async ({ page, store, errors }) => {
    test.setTimeout(180_000);
    await page.setViewportSize(viewport);
    await open(page, store, '/?mode=on-device&consent=all');
    // Let the worker load the model first, so lists and the intent panel show Perch at work.
    await expect.poll(() => page.evaluate(() => (window as any).perch.audit().then((a: { model: { version: string | null } }) => a.model.version)), { timeout: 60_000 }).not.toBeNull();
    const shot = async (name: string, ready: string) => {
      await expect(page.locator(ready).first()).toBeVisible();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} overflows horizontally`).toBeLessThanOrEqual(0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(out, `${name}-${device}.png`) });
    };
    // The home page rendered before the model was ready: re-render until Perch orders it (as a shopper would see it next).
    await expect.poll(async () => {
      await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
      await page.waitForTimeout(300);
      return page.locator('[data-list="home_popular"]').locator('xpath=..').locator('.status').getAttribute('data-personalized');
    }, { timeout: 30_000 }).toBe('true');
    await shot('home', '[data-list="home_popular"] .card');
    await go(page, '#/category/Makeup');
    await shot('category', '.list .card');
    const id = await page.locator('.list .card').nth(2).getAttribute('data-item-id');
    await page.locator('.list .card').nth(2).locator('.card-link').click();
    await waitRoute(page);
    await page.locator('.product [data-add]').click();
    // The intent panel follows the browsing (debounced): wait for it to name a category.
    await expect(page.locator('#intent [data-intent="category"]').first()).toBeVisible();
    await shot('product', '[data-list="also_viewed"] .card');
    await page.locator('[data-list="also_viewed"] [data-add]').first().click();
    await go(page, '#/cart');
    await shot('cart', '.cart li');
    await go(page, `#/category/Makeup`);
    await page.click('#compare-toggle');
    await waitRoute(page);
    // Open one "why here?" so the explanation shows in the picture.
    const why = page.locator('.compare [data-why] summary').first();
    if (await why.count()) await why.click();
    await shot('compare', '.compare [data-list$="-default"] .card');
    await page.click('#compare-toggle');
    await go(page, '#/audit');
    await shot('audit', '#events-table tbody tr');
    await page.screenshot({ path: join(out, `audit-full-${device}.png`), fullPage: true });
    expect(id).toBeTruthy();
    expect(errors).toEqual([]);
  });
}
