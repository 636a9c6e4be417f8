// Script-tag snippet: calls made before the loader arrives are replayed in order; the snippet twice is harmless.
import { expect, html, open, test, type PerchWindow } from './fixtures.js';

const QUEUED = `<script>
  perch.track('view_item', { items: [{ item_id: 'before-init' }] });
  perch.init({ dbName: 'stub', consent: { storage: 'granted' } });
  perch.track('view_item', { items: [{ item_id: 'A' }] });
  perch.track('not_an_event', {});
  perch.consent.set({ personalization: 'granted' });
  perch.track('add_to_cart', { items: [{ item_id: 'B', quantity: 2 }] });
  perch.track('purchase', { items: [{ item_id: 'C' }], value: 10 });
  window.__queuedBeforeLoad = perch.length;
  window.__stubWasArray = Array.isArray(perch);
</script>`;

test('calls queued before the loader loads are replayed in order', async ({ page, server, errors }) => {
  // The loader is held back 400 ms so every inline call above hits the stub.
  server.page('/p/stub.html', html({ loader: '/dist/perch.iife.js?delay=400', body: QUEUED }));
  await open(page, server, '/p/stub.html');
  const before = await page.evaluate(() => [(window as any).__stubWasArray, (window as any).__queuedBeforeLoad]);
  expect(before).toEqual([true, 7]);
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    await p.ready();
    await p.flush();
    const data = await p.exportData();
    const audit = await p.audit();
    return { data, audit, consent: p.consent.get(), left: Array.isArray(p) };
  });
  expect(out.left).toBe(false);
  expect((out.data.events as Array<{ type: string; items: { id: string }[] }>).map((e) => `${e.type}:${e.items[0]?.id}`)).toEqual([
    'view_item:before-init', 'view_item:A', 'add_to_cart:B', 'purchase:C',
  ]);
  expect(out.consent).toEqual({ storage: 'granted', personalization: 'granted', training: 'pending' });
  expect(out.audit.rejected.total).toBe(1);
  expect(out.audit.rejected.recent[0]?.code).toBe('unknown_event');
  expect(out.audit.storage.kind).toBe('indexeddb');
  expect(errors).toEqual([]);
});

test('the snippet included twice loads once and queues each call once', async ({ page, server, errors }) => {
  server.page('/p/twice.html', html({ snippets: 2, loader: '/dist/perch.iife.js?delay=300', body: QUEUED }));
  await open(page, server, '/p/twice.html');
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    await p.flush();
    // Only the loader counts here: on-demand chunks (perch-link.js, perch-rerank.js) come and go by design.
    const scripts = [...document.querySelectorAll('script[src*="perch.iife.js"]')].map((s) => (s as HTMLScriptElement).src);
    return { scripts, queued: (window as any).__queuedBeforeLoad, events: (await p.exportData()).events.length };
  });
  expect(out.scripts).toHaveLength(1);
  expect(out.queued).toBe(7);
  expect(out.events).toBe(4);
  // A third copy of the snippet after load leaves the real API in place.
  await page.addScriptTag({ content: (await import('@perch/sdk')).snippet('/dist/perch.iife.js') });
  expect(await page.evaluate(() => (window as unknown as PerchWindow).perch.loaded)).toBe(true);
  expect(await page.evaluate(() => document.querySelectorAll('script[src*="perch.iife.js"]').length)).toBe(1);
  expect(errors).toEqual([]);
});

test('consent.set() queued before init() is honoured, with earlier events first', async ({ page, server, errors }) => {
  server.page('/p/consent-first.html', html({
    loader: '/dist/perch.iife.js?delay=200',
    body: `<script>
      perch.track('view_item', { items: [{ item_id: 'first' }] });
      perch.consent.set({ storage: 'granted' });
      perch.track('view_item', { items: [{ item_id: 'second' }] });
      perch.init({ dbName: 'consent-first' });
    </script>`,
  }));
  await open(page, server, '/p/consent-first.html');
  const ids = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    await p.ready();
    await p.flush();
    return (await p.exportData()).events.map((e: any) => e.items[0].id);
  });
  expect(ids).toEqual(['first', 'second']);
  expect(errors).toEqual([]);
});
