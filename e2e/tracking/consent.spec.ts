// Consent gating: pending stores nothing and starts no worker; granting persists what was held;
// denying drops it; GPC pins `training` to denied.
import { boot, databases, expect, test, type PerchWindow } from './fixtures.js';

const workerLoaded = () =>
  performance.getEntriesByType('resource').some((r) => r.name.includes('perch-worker.js'));

test('consent pending: nothing is stored, no database, no worker; granting validates what was held', async ({ page, server, errors }) => {
  await boot(page, server, { dbName: 'pending' });
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    for (let i = 0; i < 50; i++) p.track('view_item', { items: [{ item_id: `p${i}` }] });
    p.track('bogus', {});
    await p.flush();
    await new Promise((r) => setTimeout(r, 500));
    return { audit: await p.audit(), data: await p.exportData() };
  });
  expect(await databases(page)).toEqual([]);
  expect(await page.evaluate(workerLoaded)).toBe(false);
  // comlink and the worker start-up (perch-link.js) are not even downloaded before storage consent.
  expect(await page.evaluate(() => performance.getEntriesByType('resource').some((r) => r.name.includes('perch-link.js')))).toBe(false);
  expect(out.audit.storage).toMatchObject({ kind: 'none', events: 0, bytes: 0 });
  expect(out.audit.worker.running).toBe(false);
  expect(out.audit.consent).toEqual({ storage: 'pending', personalization: 'pending', training: 'pending' });
  // Held in memory, not written and not validated yet (validation runs in the worker): counted in audit().
  expect((out.audit as unknown as { held: number }).held).toBe(51);
  expect(out.audit.storage.reason).toContain('51 tracked calls held in memory');
  expect(out.audit.rejected.total).toBe(0);
  expect(out.data.events).toHaveLength(0);
  // Granting storage validates the held calls in the worker: 50 stored, 1 rejected with its reason.
  const later = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.consent.set({ storage: 'granted' });
    await p.flush();
    return p.audit();
  });
  expect(later.storage).toMatchObject({ kind: 'indexeddb', events: 50 });
  expect(later.rejected.total).toBe(1);
  expect(later.rejected.recent[0]).toMatchObject({ code: 'unknown_event', event: 'bogus' });
  expect((later as unknown as { held: number }).held).toBe(0);
  expect(errors).toEqual([]);
});

test('granting storage later persists the held events; the consent log follows', async ({ page, server }) => {
  await boot(page, server, { dbName: 'later' });
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    for (let i = 0; i < 20; i++) p.track('view_item', { items: [{ item_id: `h${i}` }] });
    p.consent.set({ storage: 'granted', personalization: 'denied' });
    p.track('view_item', { items: [{ item_id: 'after' }] });
    await p.flush();
    const a = await p.audit();
    return { events: a.storage.events, kind: a.storage.kind, log: a.consentLog.map((e) => [e.source, e.state.storage]), running: a.worker.running };
  });
  expect(out).toEqual({ events: 21, kind: 'indexeddb', log: [['api', 'granted']], running: true });
  expect(await databases(page)).toContain('later');
});

test('denying storage drops held events; withdrawing it erases the database', async ({ page, server }) => {
  await boot(page, server, { dbName: 'deny' });
  const held = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    for (let i = 0; i < 10; i++) p.track('view_item', { items: [{ item_id: `d${i}` }] });
    p.consent.set({ storage: 'denied' });
    p.track('view_item', { items: [{ item_id: 'while-denied' }] });
    p.consent.set({ storage: 'granted' });
    p.track('view_item', { items: [{ item_id: 'granted' }] });
    await p.flush();
    return (await p.exportData()).events.map((e: any) => e.items[0].id);
  });
  expect(held).toEqual(['granted']);
  expect(await databases(page)).toContain('deny');
  const after = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.consent.set({ storage: 'denied' });
    await p.flush();
    await new Promise((r) => setTimeout(r, 300));
    const a = await p.audit();
    return { kind: a.storage.kind, running: a.worker.running, events: (await p.exportData()).events.length };
  });
  expect(after).toEqual({ kind: 'none', running: false, events: 0 });
  expect(await databases(page)).not.toContain('deny');
});

test('GPC forces training denied, whatever the shop sets', async ({ page, server, errors }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
  });
  await boot(page, server, { dbName: 'gpc', consent: { storage: 'granted', training: 'granted', personalization: 'granted' } });
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    const afterInit = p.consent.get();
    const afterSet = p.consent.set({ training: 'granted' });
    const a = await p.audit();
    return { afterInit, afterSet, gpc: a.gpc, sources: a.consentLog.map((e) => e.source) };
  });
  expect(out.afterInit).toEqual({ storage: 'granted', personalization: 'granted', training: 'denied' });
  expect(out.afterSet.training).toBe('denied');
  expect(out.gpc).toBe(true);
  expect(out.sources).toEqual(['gpc', 'init']);
  expect(errors).toEqual([]);
});

test('a return visit restores the stored consent (source storage-restore)', async ({ page, server, errors }) => {
  await boot(page, server, { dbName: 'restore', consent: { storage: 'granted', personalization: 'denied' } });
  await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.track('view_item', { items: [{ item_id: 'visit-1' }] });
    await p.flush();
  });
  await page.reload();
  await page.waitForFunction(() => (window as unknown as PerchWindow).perch?.loaded === true);
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    await p.init({ dbName: 'restore' }); // no consent passed this time
    p.track('view_item', { items: [{ item_id: 'visit-2' }] });
    await p.flush();
    const a = await p.audit();
    return { consent: p.consent.get(), sources: a.consentLog.map((e) => e.source), ids: (await p.exportData()).events.map((e: any) => e.items[0].id) };
  });
  expect(out.consent).toEqual({ storage: 'granted', personalization: 'denied', training: 'pending' });
  expect(out.sources).toEqual(['init', 'storage-restore']);
  expect(out.ids).toEqual(['visit-1', 'visit-2']);
  expect(errors).toEqual([]);
});

test('DNT also forces training denied and is reported', async ({ page, server }) => {
  await page.addInitScript(() => {
    Object.defineProperty(navigator, 'doNotTrack', { get: () => '1', configurable: true });
  });
  await boot(page, server, { dbName: 'dnt', consent: { storage: 'granted', training: 'granted' } });
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    const a = await p.audit();
    return { training: a.consent.training, dnt: a.dnt, gpc: a.gpc, sources: a.consentLog.map((e) => e.source) };
  });
  expect(out).toEqual({ training: 'denied', dnt: true, gpc: false, sources: ['dnt', 'init'] });
});
