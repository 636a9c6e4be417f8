// One device, two tabs: only the Web Lock holder trains and the round's coin is flipped once per device, so
// the round gets exactly one upload from it. And the page-activity gate: a page that never goes idle does not
// train until it is hidden (Page Visibility), then it does.
import { expect, test } from '@playwright/test';
import { waitFor } from './support/aggregator.js';
import { consentAll, historyFor, openDevice } from './support/device.js';
import { federatedSuite } from './support/suite.js';

const env = federatedSuite(['--min-clients', '1', '--target-clients', '100', '--round-seconds', '600', '--sampling', '1', '--noise', '5']);

const uploads = () => env.proxy.requests.filter((r) => r.method === 'POST');

test('two tabs of one device: one upload per round, both tabs show it in audit().outbound', async ({ browser }) => {
  test.setTimeout(120_000);
  env.proxy.requests.length = 0;
  const config = { consent: consentAll, mode: 'federated', aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys, dbName: 'perch-tabs', federated: { minIntervalMs: 200, idleAfterMs: 0, maxUploadDelayMs: 0, minCohort: 1 } };
  const a = await openDevice(browser, env.sdk, config, historyFor(5));
  const second = await a.context.newPage();
  await second.goto(`${env.sdk.origin}/p/fed.html`);
  await second.waitForFunction(() => (window as unknown as { perch?: { loaded?: boolean } }).perch?.loaded === true);
  await second.evaluate((cfg) => (window as unknown as { perch: { init(c: unknown): Promise<void> } }).perch.init(cfg), config);
  await waitFor(async () => uploads().length > 0, 60_000, 'an upload');
  await new Promise((r) => setTimeout(r, 3_000)); // both tabs keep polling: 15 intervals
  expect(uploads().length).toBe(1);
  expect(uploads()[0]!.status).toBe(202);
  const fromSecond = await second.evaluate(() => (window as unknown as { perch: { audit(): Promise<{ outbound: { method: string; body: string }[] }> } }).perch.audit());
  const logged = fromSecond.outbound.filter((e) => e.method === 'POST');
  expect(logged.length).toBe(1);
  expect(Buffer.from(logged[0]!.body, 'base64').equals(uploads()[0]!.body)).toBe(true);
  await a.context.close();
});

test('an active page does not train; once hidden it does', async ({ browser }) => {
  test.setTimeout(120_000);
  env.proxy.requests.length = 0;
  const config = { consent: consentAll, mode: 'federated', aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys, dbName: 'perch-hidden', federated: { minIntervalMs: 200, idleAfterMs: 3_600_000, maxUploadDelayMs: 0, minCohort: 1 } };
  const d = await openDevice(browser, env.sdk, config, historyFor(6));
  await new Promise((r) => setTimeout(r, 3_000));
  expect(env.proxy.requests).toEqual([]);
  // Playwright's pages stay visible; flip the Page Visibility state as a tab switch would.
  await d.page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { get: () => 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await waitFor(async () => uploads().some((r) => r.status === 202), 60_000, 'an upload from the hidden page');
  await d.context.close();
});
