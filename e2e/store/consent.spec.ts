// Consent banner flows and erasure, as a shopper would do them: deny → nothing stored, accept → stored,
// withdraw (footer link) → erased; delete all on the audit page → no Perch database, panel shows nothing;
// a model download that finishes after an erase does not bring the database back.
import { databases, expect, go, open, stored, test } from './fixtures.js';

async function browse(page: import('@playwright/test').Page): Promise<void> {
  await page.locator('[data-list="home_popular"] .card-link').first().click();
  await expect(page.locator('.product h1')).toBeVisible();
  await page.locator('.product [data-add]').click();
  await go(page, '#/cart');
}

test('deny: the banner closes, browsing stores nothing and no Perch database exists', async ({ page, store, errors }) => {
  await open(page, store, '/?mode=on-device');
  await expect(page.locator('#consent-banner')).toBeVisible();
  await page.click('#consent-deny');
  await expect(page.locator('#consent-banner')).toBeHidden();
  await browse(page);
  expect(await stored(page)).toEqual([]);
  expect(await databases(page)).not.toContain('perch');
  // The choice is remembered: a reload shows no banner and still stores nothing.
  await page.reload();
  await expect(page.locator('#consent-banner')).toBeHidden();
  expect(await databases(page)).not.toContain('perch');
  expect(errors).toEqual([]);
});

test('accept, then withdraw from the footer: stored, then erased', async ({ page, store, errors }) => {
  await open(page, store, '/?mode=on-device');
  await page.click('#consent-all');
  await browse(page);
  const events = await stored(page);
  expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['select_item', 'view_item', 'add_to_cart', 'view_cart']));
  expect(await databases(page)).toContain('perch');

  await page.click('#withdraw-link');
  await expect.poll(() => databases(page)).not.toContain('perch');
  expect(await stored(page)).toEqual([]);
  await go(page, '#/audit');
  await expect(page.locator('#stored-events')).toHaveText('0');
  await expect(page.locator('#consent-table')).toContainText('denied');
  expect(errors).toEqual([]);
});

test('erase: "Delete all my data" on the audit page leaves no Perch database and the panel shows nothing stored', async ({ page, store, errors }) => {
  await open(page, store, '/?mode=on-device&consent=all');
  await browse(page);
  await go(page, '#/audit');
  const before = Number(await page.locator('#stored-events').textContent());
  expect(before).toBeGreaterThan(0);
  await expect(page.locator('#events-table tbody tr')).toHaveCount(before);
  await page.click('#forget');
  await expect(page.locator('#stored-events')).toHaveText('0');
  await expect(page.locator('#events-table')).toHaveText('Nothing is stored on this device.');
  expect(await databases(page)).not.toContain('perch');
  expect(errors).toEqual([]);
});

test('forget() while the model is still downloading: the late model does not bring the erased database back', async ({ page, store, errors }) => {
  // Hold every model file until the data is erased (page.route also sees the worker's requests).
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let held = 0;
  await page.route('**/perch/model/**', async (route) => { held++; await gate; await route.continue(); });
  await open(page, store, '/?mode=on-device');
  await page.click('#consent-all');
  await browse(page);
  expect((await stored(page)).length).toBeGreaterThan(0);
  await expect.poll(() => held, { message: 'the worker asked for the model' }).toBeGreaterThan(0);
  const modelVersion = () => page.evaluate(async () => ((await (window as unknown as { perch: { audit(): Promise<{ model: { version: string | null } }> } }).perch.audit()).model.version));
  expect(await modelVersion(), 'no model yet: its files are held').toBeFalsy();

  const erasedAt = await page.evaluate(async () => {
    const t = Date.now();
    await (window as unknown as { perch: { forget(): Promise<unknown> } }).perch.forget();
    return t;
  });
  expect(await databases(page)).not.toContain('perch');

  release(); // the model arrives, is verified and loaded; before the fix its cache write recreated the database
  await expect.poll(modelVersion, { timeout: 30_000, message: 'the model loads after the erase' }).toBeTruthy();
  await page.waitForTimeout(500);
  // Storage is still granted, so an event the page tracks after the erase may create a new database (it did
  // once in CI, under load). What must never happen is a database without such an event (the cache's doing)
  // or with anything from before the erase.
  if ((await databases(page)).includes('perch')) {
    const events = await stored(page);
    expect(events.length, 'a database exists only because events were stored after the erase').toBeGreaterThan(0);
    expect(events.filter((e) => e.ts < erasedAt), 'nothing from before the erase').toEqual([]);
  }
  expect(errors).toEqual([]);
});
