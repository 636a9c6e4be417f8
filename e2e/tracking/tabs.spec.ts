// Cross-tab notices (BroadcastChannel): a consent change or forget() in one tab reaches the others;
// events tracked right before the page goes away are flushed on pagehide.
import { boot, databases, expect, html, test, type PerchWindow } from './fixtures.js';

const CONFIG = { dbName: 'tabs', consent: { storage: 'granted' } };

test('withdrawing storage in one tab withdraws it in the other and erases the shared database', async ({ context, server }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await boot(a, server, CONFIG);
  await boot(b, server, CONFIG);
  await b.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.track('view_item', { items: [{ item_id: 'from-b' }] });
    await p.flush();
  });
  expect(await databases(a)).toContain('tabs');
  await a.evaluate(() => (window as unknown as PerchWindow).perch.consent.set({ storage: 'denied' }));
  await b.waitForFunction(() => (window as unknown as PerchWindow).perch.consent.get().storage === 'denied');
  await expect.poll(() => databases(a)).toEqual([]);
  const after = await b.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.track('view_item', { items: [{ item_id: 'dropped' }] });
    await p.flush();
    const audit = await p.audit();
    return { kind: audit.storage.kind, running: audit.worker.running };
  });
  expect(after).toEqual({ kind: 'none', running: false });
  expect(await databases(b)).toEqual([]);
});

test('forget() in one tab drops what another tab still had queued', async ({ context, server }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await boot(a, server, CONFIG);
  await boot(b, server, CONFIG);
  // Tab B queues events (not yet sent: the outbox waits 25 ms), then tab A forgets at once.
  await b.evaluate(() => {
    const p = (window as unknown as PerchWindow).perch;
    for (let i = 0; i < 20; i++) p.track('view_item', { items: [{ item_id: `queued-${i}` }] });
  });
  await a.evaluate(() => (window as unknown as PerchWindow).perch.forget());
  await b.waitForTimeout(300);
  const left = await b.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    await p.flush();
    return (await p.exportData()).events.length;
  });
  expect(left).toBe(0);
  // Both tabs erase asynchronously (each worker deletes on the notice): the database is gone once they settle.
  await expect.poll(() => databases(a)).toEqual([]);
});

test('another tab deleting the database while this one writes: it keeps storing in IndexedDB, and loses nothing it acknowledged after the last delete', async ({ context, server, errors }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await boot(b, server, CONFIG);
  await a.goto(server.origin + '/p/std.html');
  // Tab A deletes the database every few ms (as a forget() elsewhere does, without the notice), while tab B
  // writes batch after batch: some deletes land between a batch's two transactions, the window in which a
  // closed connection used to send the store to memory for the rest of the session (and recreate an empty
  // database on the way).
  const deleting = a.evaluate(async () => {
    let n = 0;
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      await new Promise<void>((r) => { const q = indexedDB.deleteDatabase('tabs'); q.onsuccess = q.onerror = () => r(); });
      n++;
      await new Promise((r) => setTimeout(r, n % 7));
    }
    return n;
  });
  const batches = await b.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    let i = 0;
    for (const until = Date.now() + 4000; Date.now() < until; i++) {
      for (let k = 0; k < 20; k++) p.track('view_item', { items: [{ item_id: `w${i}-${k}` }] });
      await p.flush();
    }
    return i;
  });
  expect(await deleting).toBeGreaterThan(20);
  expect(batches).toBeGreaterThan(20);
  const after = await b.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.track('view_item', { items: [{ item_id: 'last' }] });
    await p.flush();
    const audit = await p.audit();
    const events = (await p.exportData()).events as Array<{ items: Array<{ id: string }> }>;
    return { kind: audit.storage.kind, reason: audit.storage.reason ?? null, last: events.some((e) => e.items[0]?.id === 'last') };
  });
  expect(after).toEqual({ kind: 'indexeddb', reason: null, last: true });
  expect(await databases(a)).toEqual(['tabs']);
  expect(errors).toEqual([]);
});

for (const trigger of ['pagehide', 'visibilitychange'] as const) {
  test(`${trigger} hands queued events to the worker at once and asks for a durable commit`, async ({ page, server }) => {
    // Count messages to the worker: the page must not wait for its batching timer when it is going away.
    await page.addInitScript(() => {
      const post = Worker.prototype.postMessage;
      (window as any).__toWorker = [];
      Worker.prototype.postMessage = function (this: Worker, msg: unknown, ...rest: unknown[]) {
        (window as any).__toWorker.push(msg);
        return (post as (...a: unknown[]) => void).call(this, msg, ...rest);
      };
    });
    await boot(page, server, CONFIG);
    const out = await page.evaluate(async (trigger) => {
      const p = (window as unknown as PerchWindow).perch;
      await p.flush();
      const log = (window as any).__toWorker as Array<{ path?: string[]; argumentList?: Array<{ value?: { calls?: unknown[] } }> }>;
      const before = log.length;
      for (let i = 0; i < 200; i++) p.track('view_item', { items: [{ item_id: `last-${i}` }] });
      const queued = log.length - before; // 0: still batching
      if (trigger === 'pagehide') window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
      else {
        Object.defineProperty(document, 'visibilityState', { get: () => 'hidden', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }
      // Synchronously, within the same task as the event:
      const sent = log.slice(before).map((m) => [m.path?.[0], m.argumentList?.[0]?.value?.calls?.length ?? null]);
      await p.flush();
      return { queued, sent, stored: (await p.exportData()).events.length };
    }, trigger);
    expect(out.queued).toBe(0);
    expect(out.sent).toEqual([['write', 200], ['flush', null]]);
    expect(out.stored).toBe(200);
  });
}

test('flush(), exportData() and audit() racing a withdrawal all settle, and none recreates the erased database', async ({ page, server, errors }) => {
  await boot(page, server, { dbName: 'race', consent: { storage: 'granted' } });
  const outcomes = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    const out: string[] = [];
    for (let i = 0; i < 12; i++) {
      p.consent.set({ storage: 'granted' });
      for (let k = 0; k < 40; k++) p.track('view_item', { items: [{ item_id: `r${i}-${k}` }] });
      await p.flush();
      // Calls already on their way to the worker when the withdrawal stops it (a few ms apart, as a shop's code
      // and a consent banner would be).
      const pending: Promise<unknown>[] = [];
      for (let k = 0; k < 6; k++) {
        pending.push(p.flush(), p.exportData(), p.audit());
        if (k === 2) p.consent.set({ storage: 'denied' });
        await new Promise((r) => setTimeout(r, k));
      }
      out.push(await Promise.race([
        Promise.allSettled(pending).then((s) => (s.every((x) => x.status === 'fulfilled') ? 'settled' : 'rejected')),
        new Promise<string>((r) => setTimeout(() => r('hung'), 5000)),
      ]));
    }
    return out;
  });
  // Every call settles, and none throws into the page (the public API never rejects).
  expect(outcomes).toEqual(Array(12).fill('settled'));
  await expect.poll(() => databases(page)).toEqual([]);
  expect(errors).toEqual([]);
});
