// Degraded environments: IndexedDB missing, hanging or full (worker keeps a memory store), and the worker
// unable to start (main-thread memory store). In each case tracking keeps working and audit() says why.
import { boot, expect, test, type PerchWindow } from './fixtures.js';

async function trackAndAudit(page: import('@playwright/test').Page, n = 300) {
  return page.evaluate(async (n) => {
    const p = (window as unknown as PerchWindow).perch;
    for (let i = 0; i < n; i++) p.track('view_item', { items: [{ item_id: `m${i}` }] });
    await p.flush();
    const audit = await p.audit();
    const data = await p.exportData();
    return { audit, ids: data.events.map((e: any) => e.items[0].id), dbs: (await indexedDB.databases()).map((d) => d.name) };
  }, n);
}
const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
const granted = { consent: { storage: 'granted' } };

test('IndexedDB missing in the worker → memory in the worker, reported', async ({ page, server, errors }) => {
  await boot(page, server, { ...granted, dbName: 'noidb', __test: { noIndexedDB: true } });
  const out = await trackAndAudit(page);
  expect(out.audit.storage).toMatchObject({ kind: 'memory-worker', reason: 'IndexedDB unavailable', events: 300 });
  expect(out.audit.worker.running).toBe(true);
  expect(out.ids).toEqual(ids(300));
  expect(errors).toEqual([]);
});

test('IndexedDB open hangs → memory after idbOpenTimeoutMs', async ({ page, server, errors }) => {
  await boot(page, server, { ...granted, dbName: 'hang', idbOpenTimeoutMs: 300, __test: { hangOpen: true } });
  const out = await trackAndAudit(page);
  expect(out.audit.storage.kind).toBe('memory-worker');
  expect(out.audit.storage.reason).toContain('timed out');
  expect(out.ids).toEqual(ids(300));
  expect(errors).toEqual([]);
});

test('QuotaExceededError once → prune and retry, still IndexedDB, nothing lost', async ({ page, server, errors }) => {
  await boot(page, server, { ...granted, dbName: 'quota-once', __test: { quota: 'once' } });
  const out = await trackAndAudit(page);
  expect(out.audit.storage).toMatchObject({ kind: 'indexeddb', events: 300 });
  expect(out.ids).toEqual(ids(300));
  expect(errors).toEqual([]);
});

test('QuotaExceededError always → memory fallback keeps every event, reported', async ({ page, server, errors }) => {
  await boot(page, server, { ...granted, dbName: 'quota', __test: { quota: 'always' } });
  const out = await trackAndAudit(page);
  expect(out.audit.storage).toMatchObject({ kind: 'memory-worker', events: 300 });
  expect(out.audit.storage.reason).toContain('quota');
  expect(out.ids).toEqual(ids(300));
  expect(errors).toEqual([]);
});

for (const [label, cfg, reason, path] of [
  ['worker URL 404', { workerUrl: '/dist/missing-worker.js' }, 'worker failed to start', '/p/std.html'],
  ['cross-origin worker URL', { workerUrl: 'http://localhost:1/perch-worker.js' }, 'cross-origin', '/p/std.html'],
  ['CSP forbids workers', {}, 'worker failed to start', `/p/std.html?csp=${encodeURIComponent("worker-src 'none'")}`],
] as const) {
  test(`worker cannot start (${label}) → main-thread memory store, same API`, async ({ page, server, errors }) => {
    await boot(page, server, { ...granted, dbName: `nowork-${label.length}`, ...cfg }, path);
    const out = await trackAndAudit(page);
    expect(out.audit.worker.running).toBe(false);
    expect(out.audit.worker.reason).toContain(reason);
    expect(out.audit.storage).toMatchObject({ kind: 'memory-main', events: 300 });
    expect(out.ids).toEqual(ids(300));
    expect(out.dbs).toEqual([]);
    expect(errors).toEqual([]);
  });
}

test('worker cannot start (constructor throws) → main-thread memory store, same API', async ({ page, server, errors }) => {
  await page.addInitScript(() => {
    (window as any).Worker = function Worker() { throw new DOMException('Workers are disabled', 'SecurityError'); };
  });
  await boot(page, server, { ...granted, dbName: 'ctor-throws' });
  const out = await trackAndAudit(page);
  expect(out.audit.worker).toEqual({ running: false, reason: 'worker failed to start: SecurityError' });
  expect(out.audit.storage).toMatchObject({ kind: 'memory-main', events: 300 });
  expect(out.ids).toEqual(ids(300));
  expect(errors).toEqual([]);
});
