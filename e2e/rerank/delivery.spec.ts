// Model delivery in the real worker: ETag revalidation, sha256 verification, IndexedDB cache, offline use,
// a tampered file rejected with the previous model kept, and the worker killed mid-session.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { categoryHistory, ev, expect, killWorker, loadModel, mixedList, modelOptions, modelStatus, rerank, startWorker, store, test } from './fixtures.js';

const shardOf = (dir: string): string => (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).files as { path: string }[]).find((f) => f.path.endsWith('.bin'))!.path;

test('revalidates with If-None-Match, uses the cache offline, rejects a tampered file and keeps the old model', async ({ page, server, catalog }) => {
  const version = JSON.parse(readFileSync(join(server.modelDir, 'manifest.json'), 'utf8')).modelVersion as string;
  const list = mixedList(catalog).map((i) => ({ id: i.item_id, category: i.item_category }));
  await startWorker(page, server, 'rr-delivery');
  await store(page, categoryHistory(catalog));
  server.log.length = 0;
  const first = await loadModel(page, modelOptions(server, { backend: 'cpu' }));
  expect(first).toMatchObject({ state: 'ready', version, source: 'network' });
  expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(server.log.map((l) => l.path).sort()).toEqual(['manifest.json', 'model.json', 'vocab.json', shardOf(server.modelDir)].sort());
  const before = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });

  // A reload: the manifest is revalidated (304) and nothing else is downloaded.
  await startWorker(page, server, 'rr-delivery');
  server.log.length = 0;
  expect(await loadModel(page, modelOptions(server, { backend: 'cpu' }))).toMatchObject({ state: 'ready', version, source: 'cache' });
  expect(server.log).toEqual([{ path: 'manifest.json', status: 304 }]);

  // A new version whose weight shard is corrupted on the way: rejected, the cached model stays in use.
  server.model = { manifestPatch: { modelVersion: 'v2-tampered' }, tamper: shardOf(server.modelDir) };
  const tampered = await loadModel(page, modelOptions(server, { backend: 'cpu' }));
  expect(tampered.version).toBe(version);
  expect(tampered.state).toBe('ready');
  expect(tampered.error).toMatch(/failed verification/);
  await startWorker(page, server, 'rr-delivery');
  const afterReload = await loadModel(page, modelOptions(server, { backend: 'cpu' }));
  expect(afterReload).toMatchObject({ state: 'ready', version, source: 'cache' });
  expect(afterReload.error).toMatch(/failed verification/);

  // Offline: the cached model is used.
  server.model = { down: true };
  await startWorker(page, server, 'rr-delivery');
  const offline = await loadModel(page, modelOptions(server, { backend: 'cpu' }));
  expect(offline).toMatchObject({ state: 'ready', version, source: 'cache' });
  const after = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
  expect(after.modelVersion).toBe(version);
  expect(after.order).toEqual(before.order);
  server.model = {};
});

test('the worker killed mid-session restarts and reranking resumes from the same intent state', async ({ page, server, catalog }) => {
  const list = mixedList(catalog).map((i) => ({ id: i.item_id, category: i.item_category }));
  await startWorker(page, server, 'rr-restart');
  await loadModel(page, modelOptions(server, { backend: 'wasm' }));
  const history = categoryHistory(catalog);
  await store(page, history.slice(0, 5));
  await store(page, history.slice(5));
  const before = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
  expect(before.personalized).toBe(true);
  expect((await modelStatus(page)).intentEvents).toBe(history.length);

  await killWorker(page);
  await startWorker(page, server, 'rr-restart');
  expect((await loadModel(page, modelOptions(server, { backend: 'wasm' }))).state).toBe('ready');
  const after = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
  expect(after.personalized).toBe(true);
  expect(after.order).toEqual(before.order);
  for (const i of after.order.slice(0, 10)) expect(after.scores[i]).toBeCloseTo(before.scores[i]!, 6);

  // It keeps going: a new event moves the state by one step.
  await store(page, [ev('add_to_cart', catalog.others[40]!.item_id, catalog.others[40]!.item_category, Date.now())]);
  await expect.poll(async () => (await modelStatus(page)).intentEvents).toBe(1);
  const moved = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
  expect(moved.personalized).toBe(true);
  expect(moved.scores).not.toEqual(after.scores);
});
