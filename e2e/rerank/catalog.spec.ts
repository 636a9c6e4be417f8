// A model of bounded size in the real SDK worker (issue 29): trained on the REES46 sample with hashed attribute rows
// and id rows for the frequent items only, so vocab.json lists a fraction of the products. An item outside the
// vocabulary is scored from the hashed rows of its `cat:` and `brand:` names; one with neither keeps a neutral score;
// a damaged or inconsistent export is refused with a reason and the shop's order comes back.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect } from '@playwright/test';
import type { PerchEvent } from '@perch/sdk/internal';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../support/build-sdk.mjs';
import { loadModel, modelStatus, rerank, startWorker, store } from './fixtures.js';
import { ATTR_BUCKETS, ensureBoundedModel, rees46Items, type Rees46Item } from './support/bounded-model.js';
import { startRerankServer, type RerankServer } from './support/server.js';
import { WORKER_PAGE } from './support/worker-page.js';

const TARGET = 'electronics.smartphone';
/** A category none of the sample's smartphone brands sells in. */
const UNRELATED = 'apparel.shoes';
const NEUTRAL = 0.5; // the model-side rank of an item the model knows nothing about (worker/serve/rerank/blend.ts)

type Manifest = { files: { path: string; sha256: string; bytes: number }[]; totalBytes: number };
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const shardOf = (m: Manifest): string => m.files.find((f) => f.path.endsWith('.bin'))!.path;

/**
 * Exports served side by side under /model/<name>/: the trained one, and damaged copies. `rehash` rewrites the
 * manifest's sha256 and size of the changed file, so only the loader's format checks can catch it.
 */
function writeVariants(modelDir: string, root: string): void {
  const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as Manifest;
  const variant = (name: string, file: string, change: (b: Buffer) => Buffer, rehash: boolean): void => {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const f of readdirSync(modelDir)) copyFileSync(join(modelDir, f), join(dir, f));
    const bytes = change(readFileSync(join(modelDir, file)));
    writeFileSync(join(dir, file), bytes);
    if (!rehash) return;
    const m = structuredClone(manifest);
    const entry = m.files.find((f) => f.path === file)!;
    m.totalBytes += bytes.length - entry.bytes;
    Object.assign(entry, { sha256: sha256(bytes), bytes: bytes.length });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  };
  variant('good', 'manifest.json', (b) => b, false);
  const flip = (b: Buffer): Buffer => { const c = Buffer.from(b); c[c.length >> 1] = c[c.length >> 1]! ^ 0x01; return c; };
  variant('tampered-vocab', 'vocab.json', flip, false);
  variant('truncated-shard', shardOf(manifest), (b) => b.subarray(0, b.length >> 1), false);
  variant('truncated-shard-rehashed', shardOf(manifest), (b) => b.subarray(0, b.length >> 1), true);
  variant('bad-buckets', 'vocab.json', (b) => {
    const v = JSON.parse(b.toString('utf8'));
    v.attrHash.buckets = ATTR_BUCKETS / 2;
    return Buffer.from(JSON.stringify(v));
  }, true);
}

const test = base.extend<{ errors: string[] }, { server: RerankServer; modelDir: string }>({
  modelDir: [async ({}, use) => use(ensureBoundedModel()), { scope: 'worker', timeout: 600_000 }],
  server: [
    async ({ modelDir }, use) => {
      ensureSdkBuilt();
      const root = mkdtempSync(join(tmpdir(), 'perch-bounded-'));
      writeVariants(modelDir, root);
      const s = await startRerankServer(root);
      s.page('/p/worker.html', WORKER_PAGE);
      await use(s);
      await s.close();
      rmSync(root, { recursive: true, force: true });
    },
    { scope: 'worker', timeout: 600_000 },
  ],
  errors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await use(errors);
  },
});

const url = (s: RerankServer, name: string): string => `${s.origin}/model/${name}/manifest.json`;
const vocabOf = (dir: string): Set<string> => new Set(JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')).items as string[]);
const candidate = (i: Rees46Item) => ({ id: i.id, ...(i.category ? { category: i.category } : {}), ...(i.brand ? { brand: i.brand } : {}) });
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A shopper who viewed (and carted some of) the most viewed products of one category, as the SDK stores them. */
function historyIn(category: string, items: Rees46Item[], vocab: Set<string>): PerchEvent[] {
  const t0 = Date.now() - 600_000;
  return items.filter((i) => i.category === category && i.brand && vocab.has(i.id)).slice(0, 8).flatMap((it, k): PerchEvent[] => [
    { v: 1, type: 'view_item', ts: t0 + k * 20_000, items: [candidate(it)] },
    ...(k % 2 === 0 ? [{ v: 1 as const, type: 'add_to_cart' as const, ts: t0 + k * 20_000 + 5_000, items: [candidate(it)] }] : []),
  ]);
}

test('an item outside vocab.json is scored from its hashed category and brand rows', async ({ page, server, modelDir, errors }) => {
  const vocab = vocabOf(modelDir);
  const items = rees46Items();
  const outside = (c: string): Rees46Item[] => items.filter((i) => i.category === c && i.brand && !vocab.has(i.id));
  // Products of the sample the vocabulary left out, and new products the model never saw (ids nobody trained on)
  // with the category and a brand of the sample's smartphones.
  const phoneBrands = [...new Set(outside(TARGET).map((i) => i.brand!))].slice(0, 5);
  const phones = [...outside(TARGET).slice(0, 10), ...phoneBrands.map((brand, k) => ({ id: `new-phone-${k}`, category: TARGET, brand, events: 0 }))];
  const shoes = outside(UNRELATED).slice(0, 15);
  expect(phones).toHaveLength(15);
  expect(shoes).toHaveLength(15);
  for (const i of [...phones, ...shoes]) expect(vocab.has(i.id)).toBe(false);
  const list = [...shoes, ...phones].map(candidate);

  // Two shoppers, one list: whichever category the shopper browsed comes first. Smartphones dominate the sample,
  // so the shoe shopper is the control that the order follows the history, not the category's popularity.
  for (const [browsed, other] of [[TARGET, UNRELATED], [UNRELATED, TARGET]] as const) {
    await startWorker(page, server, `bounded-attrs-${browsed}`);
    await store(page, historyIn(browsed, items, vocab));
    expect((await loadModel(page, { url: url(server, 'good'), backend: 'cpu' })).state).toBe('ready');
    const reply = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
    expect(reply.personalized).toBe(true);
    expect(reply.reason).toBeUndefined();
    for (const s of reply.scores) expect(s).not.toBe(NEUTRAL); // every item has hashed rows: none is unknown
    const pos = (c: string, newOnly = false): number[] => reply.order.flatMap((i, p) => (list[i]!.category === c && (!newOnly || list[i]!.id.startsWith('new-')) ? [p] : []));
    const shown = reply.order.map((i) => list[i]!.category).join(', ');
    expect(mean(pos(browsed)), `${browsed} shopper: ${shown}`).toBeLessThan(mean(pos(other)));
    expect(reply.order.slice(0, 10).filter((i) => list[i]!.category === browsed).length, shown).toBeGreaterThanOrEqual(7);
    // The never-seen phone ids move with the left-out phones.
    if (browsed === TARGET) expect(mean(pos(TARGET, true))).toBeLessThan(mean(pos(UNRELATED)));
    else expect(mean(pos(TARGET, true))).toBeGreaterThan(mean(pos(UNRELATED)));
  }
  expect(errors).toEqual([]);
});

test('an item with no category and no brand keeps a neutral score and the call succeeds', async ({ page, server, modelDir, errors }) => {
  const vocab = vocabOf(modelDir);
  const items = rees46Items();
  // A product of the sample with neither field that the vocabulary left out, and a new bare id.
  const bare = items.find((i) => !i.category && !i.brand && !vocab.has(i.id))!;
  expect(bare).toBeDefined();
  const known = items.filter((i) => vocab.has(i.id)).slice(0, 6);
  const attrsOnly = items.filter((i) => i.category && i.brand && !vocab.has(i.id)).slice(0, 6);
  const list = [...known.map(candidate), { id: bare.id }, ...attrsOnly.map(candidate), { id: 'new-bare-item' }];
  await startWorker(page, server, 'bounded-bare');
  await store(page, historyIn(TARGET, items, vocab));
  expect((await loadModel(page, { url: url(server, 'good'), backend: 'cpu' })).state).toBe('ready');
  const reply = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
  expect(reply.personalized).toBe(true);
  expect([...reply.order].sort((a, b) => a - b)).toEqual(list.map((_, i) => i));
  list.forEach((c, i) => {
    if ('category' in c || vocab.has(c.id)) expect(reply.scores[i], c.id).not.toBe(NEUTRAL);
    else expect(reply.scores[i], c.id).toBe(NEUTRAL);
  });
  expect(errors).toEqual([]);
});

const BROKEN: [name: string, why: RegExp][] = [
  ['tampered-vocab', /model file "vocab\.json" failed verification/],
  ['truncated-shard', /model file "group1-shard\d+of\d+\.bin" failed verification/],
  ['truncated-shard-rehashed', /weight stream too short/],
  ['bad-buckets', /vocab\.json: attribute hash over 2048 rows, the model has 4096/],
];

for (const [name, why] of BROKEN) {
  test(`a ${name} export is refused with its reason; rerank returns the shop's order and the worker keeps answering`, async ({ page, server, modelDir, errors }) => {
    const items = rees46Items();
    const list = items.filter((i) => i.category && i.brand).slice(0, 20).map(candidate);
    const shop = list.map((_, i) => i);
    await startWorker(page, server, `bounded-${name}`);
    await store(page, historyIn(TARGET, items, vocabOf(modelDir)));
    const status = await loadModel(page, { url: url(server, name), backend: 'cpu' });
    expect(status.state).toBe('failed');
    expect(status.error).toMatch(why);
    for (let k = 0; k < 2; k++) {
      const reply = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
      expect(reply).toMatchObject({ personalized: false, order: shop, modelVersion: null });
      expect(reply.reason).toMatch(why);
    }
    expect((await modelStatus(page)).state).toBe('failed');
    // The same worker then loads the intact export.
    expect((await loadModel(page, { url: url(server, 'good'), backend: 'cpu' })).state).toBe('ready');
    expect((await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' })).personalized).toBe(true);
    expect(errors).toEqual([]);
  });
}
