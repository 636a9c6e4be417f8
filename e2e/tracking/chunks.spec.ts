// On-demand scripts: the loader fetches perch-link.js (comlink + worker start-up) once storage is needed
// and perch-consent.js only when a CMP or dataLayer is in use; if they cannot load, nothing is thrown into
// the page and audit() says what was lost and why.
import { boot, expect, html, test, type PerchWindow } from './fixtures.js';

const fetched = () => performance.getEntriesByType('resource').map((r) => r.name.replace(/^.*\//, '')).filter((n) => n.startsWith('perch'));

// A CMP that answers at once: storage, personalization (5 + 6) and training (10) granted.
const TCF = `<script>
  window.__tcfapi = function (cmd, v, cb) {
    if (cmd === 'addEventListener') cb({ gdprApplies: true, eventStatus: 'tcloaded', listenerId: 1,
      purpose: { consents: { 1: true, 5: true, 6: true, 10: true } } }, true);
  };
</script>`;

test('no CMP, no dataLayer: only the loader, the link and the worker are fetched', async ({ page, server, errors }) => {
  await boot(page, server, { dbName: 'chunks-plain', consent: { storage: 'granted' } });
  await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.track('view_item', { items: [{ item_id: 'a' }] });
    await p.flush();
  });
  expect((await page.evaluate(fetched)).sort()).toEqual(['perch-link.js', 'perch-worker.js', 'perch.iife.js']);
  expect(errors).toEqual([]);
});

test('__tcfapi present → perch-consent.js is fetched and the CMP decides consent', async ({ page, server, errors }) => {
  server.page('/p/tcf.html', html({ head: TCF }));
  await boot(page, server, { dbName: 'chunks-tcf' }, '/p/tcf.html');
  await page.waitForFunction(() => (window as unknown as PerchWindow).perch.consent.get().storage === 'granted');
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    p.track('view_item', { items: [{ item_id: 'via-tcf' }] });
    await p.flush();
    return { consent: p.consent.get(), audit: await p.audit() };
  });
  expect(out.consent).toEqual({ storage: 'granted', personalization: 'granted', training: 'granted' });
  expect(out.audit.storage).toMatchObject({ kind: 'indexeddb', events: 1 });
  expect(out.audit.consentLog.map((e) => e.source)).toContain('tcf');
  expect(await page.evaluate(fetched)).toContain('perch-consent.js');
  expect(errors).toEqual([]);
});

test('on-demand scripts missing → no page error; audit() names what failed and what was lost', async ({ page, server, errors }) => {
  // The worker itself is reachable, but assetBase points where neither the link nor the fallback exist.
  await boot(page, server, {
    dbName: 'chunks-missing', tcf: true, assetBase: '/missing/', workerUrl: '/dist/perch-worker.js',
    consent: { storage: 'granted' },
  });
  const out = await page.evaluate(async () => {
    const p = (window as unknown as PerchWindow).perch;
    for (let i = 0; i < 5; i++) p.track('view_item', { items: [{ item_id: `x${i}` }] });
    await p.flush();
    return p.audit();
  });
  const extra = out as unknown as { chunkErrors?: string[] };
  expect(extra.chunkErrors?.join(' ')).toContain('perch-consent.js failed to load');
  expect(out.worker.running).toBe(false);
  expect(out.worker.reason).toContain('perch-link.js failed to load');
  expect(out.storage.kind).toBe('none');
  expect(out.storage.reason).toContain('perch-fallback.js failed to load');
  expect(out.storage.reason).toContain('5 tracked calls could not be kept');
  expect(errors).toEqual([]);
});
