// Each tfjs backend forced in turn (webgpu and webgl on SwiftShader here, wasm, cpu) gives the same
// top-10 for the same stored history, with lists scored on the plain kernels and on the backend; a
// backend failing at run time hands over without losing the state.
import { categoryHistory, expect, loadModel, mixedList, modelOptions, modelStatus, rerank, startWorker, store, test } from './fixtures.js';

test('every backend returns the same top-10 for the same history', async ({ page, server, catalog }) => {
  test.setTimeout(300_000);
  const list = mixedList(catalog).map((i) => ({ id: i.item_id, category: i.item_category }));
  await startWorker(page, server, 'rr-backends');
  await store(page, categoryHistory(catalog));
  const tops: Record<string, string[]> = {};
  for (const backend of ['cpu', 'wasm', 'webgl', 'webgpu'] as const) {
    await startWorker(page, server, 'rr-backends'); // a fresh worker: the state is rebuilt from the stored sequence
    const status = await loadModel(page, modelOptions(server, { backend }));
    expect(status.state).toBe('ready');
    expect(status.backend, status.backendReason).toBe(backend);
    expect(status.backendReason).toContain(`forced by init({ backend: '${backend}' })`);
    const reply = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
    expect(reply.backend).toBe(backend);
    tops[backend] = reply.order.slice(0, 10).map((i) => list[i]!.id);
  }
  // Lists are scored on the plain kernels on every backend (backend-model.ts); the tfjs scoring path on
  // the backend must rank the same top-10 too, so the two implementations cannot drift apart unnoticed.
  for (const backend of ['wasm', 'webgl', 'webgpu'] as const) {
    await startWorker(page, server, 'rr-backends');
    const status = await loadModel(page, modelOptions(server, { backend, test: { scoreOnBackend: true } }));
    expect(status.backend, status.backendReason).toBe(backend);
    const reply = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
    tops[`${backend}+tfjs-scoring`] = reply.order.slice(0, 10).map((i) => list[i]!.id);
  }
  for (const b of ['wasm', 'webgl', 'webgpu', 'wasm+tfjs-scoring', 'webgl+tfjs-scoring', 'webgpu+tfjs-scoring']) expect(tops[b], b).toEqual(tops.cpu);
});

test('a backend lost at run time falls back to the next one and keeps the intent state', async ({ page, server, catalog }) => {
  test.setTimeout(300_000);
  const list = mixedList(catalog).map((i) => ({ id: i.item_id, category: i.item_category }));
  await startWorker(page, server, 'rr-lost');
  await store(page, categoryHistory(catalog));
  const reference = await (async () => {
    await loadModel(page, modelOptions(server, { backend: 'cpu' }));
    return rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
  })();
  await startWorker(page, server, 'rr-lost');
  // The forced backend "loses its device" at its first model call: the rerank moves to another backend.
  expect((await loadModel(page, modelOptions(server, { backend: 'wasm', test: { failBackendAfter: 0 } }))).state).toBe('ready');
  const reply = await rerank(page, { items: list, options: { blend: 1 }, personalization: 'granted' });
  expect(reply.personalized).toBe(true);
  expect(reply.backend).not.toBe('wasm');
  expect((await modelStatus(page)).backendReason).toMatch(/failed at run time: wasm: test hook: backend device lost/);
  expect(reply.order.slice(0, 10)).toEqual(reference.order.slice(0, 10));
});

test('without a forced backend, candidates are probed in order and the choice is explained', async ({ page, server }) => {
  test.setTimeout(300_000);
  await startWorker(page, server, 'rr-probe');
  const status = await loadModel(page, modelOptions(server));
  expect(status.state).toBe('ready');
  console.log(`default backend: ${status.backend} (${status.backendReason})`);
  const order = ['webgpu', 'webgl', 'wasm', 'cpu'];
  // Every backend before the chosen one was tried and skipped with a reason.
  for (const b of order.slice(0, order.indexOf(status.backend!))) expect(status.backendReason).toMatch(new RegExp(`skipped ${b}: `));
  expect(status.backendReason).toMatch(/^first to pass its probe/);
});
