// The audit panel: its facts are the device's (model version and manifest sha256 as served, backend, counts,
// consent log, budget), its export is exportData(), and each stored event shows its id and can be inspected
// and deleted on its own; the deletion holds across a reload (it is the SDK's public forget({ eventIds })).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

test('audit panel: model, storage, consent and budget facts match what is served and stored; Export JSON is exportData()', async ({ page, store, errors }) => {
  await open(page, store, '/?mode=on-device&consent=all');
  await expect.poll(() => page.evaluate(() => (window as any).perch.audit().then((a: { model: { version: string | null } }) => a.model.version)), { timeout: 60_000 }).not.toBeNull();
  await page.locator('[data-list="home_popular"] .card-link').first().click();
  await expect(page.locator('.product h1')).toBeVisible();
  await page.locator('.product [data-add]').click();
  const events = await stored(page);
  await go(page, '#/audit');

  // The model as served by the store (the manifest's bytes, hashed here independently of the SDK).
  const manifest = Buffer.from(await (await fetch(`${store.origin}/perch/model/manifest.json`)).arrayBuffer());
  await expect(page.locator('#model-version')).toHaveText(JSON.parse(manifest.toString('utf8')).modelVersion);
  await expect(page.locator('#panel-model .hash')).toHaveText(createHash('sha256').update(manifest).digest('hex'));
  await expect(page.locator('#model-backend')).toHaveText(/^(webgpu|webgl|wasm|cpu)\b/);
  // Storage and counts are the stored events.
  await expect(page.locator('#stored-events')).toHaveText(String(events.length));
  await expect(page.locator('#events-table tbody tr')).toHaveCount(events.length);
  await expect(page.locator('#panel-storage')).toContainText('indexeddb');
  // Consent state and its log (the URL's consent=all in on-device mode: training stays denied).
  await expect(page.locator('#consent-table')).toContainText(/storage\s*granted/);
  await expect(page.locator('#consent-table')).toContainText(/training\s*denied/);
  await expect(page.locator('#consent-log tbody tr').first()).toContainText('storage granted, personalization granted, training denied');
  await expect(page.locator('#epsilon')).toHaveText('ε 0.00 of 8');
  await expect(page.locator('#federated-state')).toHaveText('Federated learning: off (on-device-only mode)');
  await expect(page.locator('#on-device-switch')).toBeChecked();

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  expect(exported).toMatchObject({ format: 'perch-export', version: 1 });
  expect(exported.events).toEqual(events);
  expect(errors).toEqual([]);
});

test('audit panel: dropped fields and ignored dataLayer pushes are listed with their counts and reasons', async ({ page, store, errors }) => {
  await open(page, store, '/?mode=on-device&consent=all');
  await page.evaluate(async () => {
    const w = window as unknown as { perch: { track: (n: string, p: unknown) => boolean; flush: () => Promise<void>; audit: () => Promise<{ ignored: { total: number } }> }; dataLayer: unknown[] };
    w.dataLayer = w.dataLayer || []; // GTM's snippet line
    // what a GTM shop pushes: its container start, a clear, a Universal Analytics detail view with a 500-character brand
    w.dataLayer.push({ event: 'gtm.js', 'gtm.start': 1 }, { ecommerce: null });
    w.dataLayer.push({ event: 'productDetail', ecommerce: { detail: { actionField: { list: 'Search Results' }, products: [{ id: 'UA-1', name: 'Tee', brand: 'b'.repeat(500) }] } } });
    w.perch.track('view_item_list', { items: [{ item_id: 'A', index: -1 }, { item_id: 'jane@example.com' }] });
    // the bridge attaches once its script has loaded and replays what was pushed before
    while ((await w.perch.audit()).ignored.total < 2) await new Promise((r) => setTimeout(r, 50));
    await w.perch.flush();
  });
  await go(page, '#/audit');
  await expect(page.locator('h2', { hasText: 'Dropped fields' })).toHaveText('Dropped fields (3)');
  const dropped = page.locator('#dropped-table tbody tr');
  await expect(dropped).toHaveCount(3);
  await expect(page.locator('#dropped-table')).toContainText('items[0].brand');
  await expect(page.locator('#dropped-table')).toContainText('items[0].index must be a non-negative integer, got -1');
  await expect(page.locator('#dropped-table')).not.toContainText('jane@example.com');
  await expect(page.locator('h2', { hasText: 'Ignored dataLayer pushes' })).toHaveText('Ignored dataLayer pushes (2)');
  await expect(page.locator('#ignored-table')).toContainText('gtm');
  await expect(page.locator('#ignored-table')).toContainText('ecommerce_clear');
  const types = ((await stored(page)) as unknown as { type: string; items: { id: string }[] }[]).map((e) => [e.type, e.items.map((i) => i.id)]);
  expect(types).toEqual(expect.arrayContaining([['view_item', ['UA-1']], ['view_item_list', ['A']]]));
  expect(errors).toEqual([]);
});
