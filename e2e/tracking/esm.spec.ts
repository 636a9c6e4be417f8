// The npm build (dist/esm/index.js) works in a browser as shipped: comlink resolved through an import
// map, the worker found next to dist/ by default, the same API and storage as the script tag.
import { expect, test } from './fixtures.js';

test('npm ESM build: import, init, track, persist', async ({ page, server, errors }) => {
  server.page('/p/esm.html', `<!doctype html><meta charset="utf-8">
    <script type="importmap">{ "imports": { "comlink": "/vendor/comlink.mjs" } }</script>
    <script type="module">
      import * as perch from '/dist/esm/index.js';
      window.perchEsm = perch;
    </script>`);
  await page.goto(`${server.origin}/p/esm.html`);
  await page.waitForFunction(() => (window as any).perchEsm !== undefined);
  const out = await page.evaluate(async () => {
    const p = (window as any).perchEsm;
    await p.init({ dbName: 'esm', consent: { storage: 'granted' } });
    for (let i = 0; i < 10; i++) p.track('view_item', { items: [{ item_id: `e${i}` }] });
    await p.flush();
    const audit = await p.audit();
    return { names: Object.keys(p).sort(), kind: audit.storage.kind, running: audit.worker.running, events: audit.storage.events, perchGlobal: 'perch' in window };
  });
  expect(out.names).toEqual(expect.arrayContaining(['audit', 'consent', 'destroy', 'exportData', 'flush', 'forget', 'init', 'intent', 'ready', 'rerank', 'snippet', 'track']));
  expect(out).toMatchObject({ kind: 'indexeddb', running: true, events: 10, perchGlobal: false });
  expect(errors).toEqual([]);
});
