// The audit proof: in on-device-only mode, every request of a 50-event shopping session (page and worker)
// goes to a file the built store serves (its JS/CSS/catalog, /perch/* SDK files, the model), by GET, with no
// body, and no URL carries an item id, a list id or a timestamp of the session.
//
// Matching rule. Item ids in this data are small integers ("4"), which occur by chance inside content-hashed
// asset names, so they are matched as whole tokens: a path segment or query value equal to the id, or the id in
// a JSON/form context of a body ("4" / :4, / [4] / =4&). List ids are long strings (matched as substrings,
// raw and URL-encoded); timestamps are 13-digit ms (and their 10-digit seconds), matched as substrings.
// Independently of that rule, every URL path must be one of the files the build emitted before the session
// started, so a URL cannot be made up from session data at all.
import type { Request } from '@playwright/test';
import { expect, go, open, stored, test } from './fixtures.js';

interface Seen { url: string; method: string; body: string | null }

const escRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function leaksItem(r: Seen, id: string): boolean {
  const u = new URL(r.url);
  const segs = decodeURIComponent(u.pathname).split('/');
  if (segs.includes(id) || [...u.searchParams.values()].includes(id)) return true;
  return r.body !== null && new RegExp(`(["'\\[:=,]\\s*)${escRe(id)}(?=\\s*["'\\],}&]|$)`).test(r.body);
}
const contains = (r: Seen, s: string) => r.url.includes(s) || r.url.includes(encodeURIComponent(s)) || (r.body ?? '').includes(s);

test('on-device-only: a 50-event session makes no request but static assets and the model, and leaks nothing', async ({ page, store, errors }) => {
  test.setTimeout(240_000);
  const seen: Seen[] = [];
  // context.on('request') also sees requests made by workers (checked below: the model is fetched by the worker).
  page.context().on('request', (r: Request) => seen.push({ url: r.url(), method: r.method(), body: r.postData() }));
  await open(page, store, '/?mode=on-device&consent=all');

  // The session: category pages, products, carts, searches, a purchase; until ≥ 50 events are stored.
  // The six large departments (the two smallest hold a handful of items).
  const cats = (await page.locator('.cats a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).hash))).slice(0, 6);
  let i = 0;
  while ((await stored(page)).length < 50 && i < 40) {
    await go(page, cats[i % cats.length]!);
    const cards = page.locator('.list .card');
    await cards.nth(i % 5).locator('.card-link').click();
    await expect(page.locator('.product h1')).toBeVisible();
    if (i % 2 === 0) await page.locator('.product [data-add]').click();
    if (i % 3 === 0) {
      await page.fill('#q', ['serum', 'lipstick', 'shampoo'][i % 3]!);
      await page.press('#q', 'Enter');
    }
    i++;
  }
  await go(page, '#/cart');
  await page.click('#to-checkout');
  await page.click('#place-order');
  await go(page, '#/audit');
  const events = await stored(page);
  expect(events.length).toBeGreaterThanOrEqual(50);

  // What the session really used.
  const itemIds = [...new Set(events.flatMap((e) => e.items.map((x) => x.id)))];
  const listIds = [...new Set(events.flatMap((e) => [e.list, ...e.items.map((x) => x.list)]).filter((x): x is string => !!x && x.length > 3))];
  const stamps = [...new Set(events.flatMap((e) => [String(e.ts), String(Math.floor(e.ts / 1000))]))];
  expect(itemIds.length).toBeGreaterThan(10);
  expect(listIds).toEqual(expect.arrayContaining(['product_page', 'cart']));

  const network = seen.filter((r) => !r.url.startsWith('data:') && !r.url.startsWith('blob:'));
  const origin = store.origin;
  const offenders = network.filter((r) => {
    const u = new URL(r.url);
    const path = u.pathname === '/' ? '/index.html' : u.pathname;
    return u.origin !== origin || r.method !== 'GET' || r.body !== null || !store.files.has(path);
  });
  expect(offenders.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  for (const r of network) {
    for (const id of itemIds) expect(leaksItem(r, id), `item ${id} in ${r.url}`).toBe(false);
    for (const l of listIds) expect(contains(r, l), `list ${l} in ${r.url}`).toBe(false);
    for (const t of stamps) expect(contains(r, t), `timestamp ${t} in ${r.url}`).toBe(false);
  }
  // The SDK's worker was started (its script is in the record); worker fetches are seen (next test).
  const paths = network.map((r) => new URL(r.url).pathname);
  expect(paths).toContain('/perch/perch-worker.js');
  // The model (manifest, weights, vocabulary) is downloaded by the SDK's worker, same origin, and is in use.
  expect(paths).toContain('/perch/model/manifest.json');
  expect(paths.some((p) => p.startsWith('/perch/model/') && p.endsWith('.bin'))).toBe(true);
  await expect(page.locator('#model-version')).not.toHaveText('none loaded');
  // And the audit panel agrees: nothing sent.
  await expect(page.locator('#outbound-table')).toHaveText('None: on-device-only mode sends nothing.');
  expect(errors).toEqual([]);
});


test('the recorder sees requests made inside a worker (as the SDK worker makes them)', async ({ page, store }) => {
  const seen: { url: string }[] = [];
  page.context().on('request', (r) => seen.push({ url: r.url() }));
  await open(page, store, '/?mode=on-device&consent=none');
  await page.evaluate(async () => {
    const src = `fetch(${JSON.stringify(location.origin + '/catalog.json?from=worker')}).then(() => postMessage('done'), (e) => postMessage(String(e)))`;
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    await new Promise((r) => (w.onmessage = r));
    w.terminate();
  });
  expect(seen.filter((r) => r.url.endsWith('/catalog.json?from=worker')).map((r) => r.url)).toEqual([`${store.origin}/catalog.json?from=worker`]);
});
