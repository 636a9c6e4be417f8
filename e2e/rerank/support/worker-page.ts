import type { Browser, Page } from 'playwright';

// The fixture page: starts the real SDK worker (/dist/perch-worker.js) and wraps it with comlink, as the
// page side of the SDK does; tests and the bench call `window.api` (the PerchWorkerApi) through it.
export const WORKER_PAGE = `<!doctype html><meta charset="utf-8"><title>perch worker fixture</title><script type="module">
import * as Comlink from '/vendor/comlink.mjs';
window.startWorker = async (dbName) => {
  window.perchWorker?.terminate();
  window.perchWorker = new Worker('/dist/perch-worker.js');
  window.api = Comlink.wrap(window.perchWorker);
  return window.api.open({ dbName, retention: { maxEvents: 5000, maxAgeDays: 90 }, idbOpenTimeoutMs: 3000 });
};
window.killWorker = () => { window.perchWorker?.terminate(); window.perchWorker = null; window.api = null; };
window.fixtureReady = true;
</script>`;

/** A page of `browser` at the fixture (served by the rerank server at `origin`), ready: the benches' setup. */
export async function openWorkerPage(browser: Browser, origin: string): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript('window.__name = (f) => f');
  page.on('crash', () => console.error('page crashed'));
  page.on('console', (m) => console.error(`[page] ${m.text()}`));
  await page.goto(`${origin}/p/worker.html`);
  await page.waitForFunction(() => (window as any).fixtureReady === true);
  return page;
}
