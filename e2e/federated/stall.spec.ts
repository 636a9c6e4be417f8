// A network that stops answering mid-response (a stalled proxy, a half-open connection) must not stall Perch:
// the recording proxy sends the aggregator's headers and one byte of the body, then nothing, for the first
// request of a kind. The worker aborts the request at its deadline, and the model side and the federated
// client both carry on: the model loads, the device takes part in the round.
import { expect, test } from '@playwright/test';
import type { RerankResult } from '@perch/sdk';
import { waitFor, type Recorded } from './support/aggregator.js';
import { consentAll, historyFor, openDevice } from './support/device.js';
import { federatedSuite } from './support/suite.js';

const env = federatedSuite(['--min-clients', '1', '--target-clients', '100', '--round-seconds', '600', '--sampling', '1', '--noise', '5']);

/** Stalls the first request whose path starts with `path`, and only that one. */
function stallFirst(path: string): () => Recorded | undefined {
  let stalled: Recorded | undefined;
  env.proxy.stall = (r) => {
    if (stalled || r.method !== 'GET' || !r.path.startsWith(path)) return false;
    stalled = r;
    return true;
  };
  return () => stalled;
}

// Polls 2 s apart: the transparency log keeps the newest 20 body-less requests, so the stalled first poll is
// still in it when the test reads it shortly after the upload.
const config = () => ({
  consent: consentAll, mode: 'federated', aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys, modelUrl: `${env.proxy.url}/v1/model/manifest.json`,
  dbName: 'perch-fed', federated: { minIntervalMs: 2_000, idleAfterMs: 0, maxUploadDelayMs: 0, minCohort: 1 },
});

test('a round poll that stalls after its headers is aborted at its deadline; the device still takes part', async ({ browser }) => {
  test.setTimeout(120_000);
  env.proxy.requests.length = 0;
  const stalled = stallFirst('/v1/round');
  const d = await openDevice(browser, env.sdk, config(), historyFor(5));
  await waitFor(async () => env.proxy.requests.some((r) => r.method === 'POST' && r.status === 202), 90_000, 'an upload after the stalled poll');
  expect(stalled()).toBeDefined();
  const polls = env.proxy.requests.filter((r) => r.method === 'GET' && r.path === '/v1/round');
  expect(polls[0]).toBe(stalled()); // the stalled poll came first, later ones were answered
  expect(polls.length).toBeGreaterThan(1);
  // The transparency log keeps the aborted request too: logged before it left, with the status of the
  // headers that did arrive and why the exchange failed.
  const a = await d.audit();
  const logged = a.outbound.filter((e) => e.method === 'GET' && e.url.endsWith('/v1/round'));
  expect(logged[0]!.status).toBe(200);
  expect(logged[0]!.error).toMatch(/TimeoutError|abort/i);
  expect(logged.slice(1).every((e) => e.error === undefined)).toBe(true);
  expect(a.outbound.some((e) => e.method === 'POST' && e.status === 202)).toBe(true);
  await d.context.close();
});

test('a model manifest that stalls after its headers is aborted; the model loads on the next try', async ({ browser }) => {
  test.setTimeout(120_000);
  env.proxy.requests.length = 0;
  const stalled = stallFirst('/v1/model/manifest.json');
  const d = await openDevice(browser, env.sdk, { ...config(), dbName: 'perch-fed-2' }, historyFor(6));
  // Meanwhile the shop's order comes back (no model yet), within the call's budget.
  const r = await d.page.evaluate(() => (window as unknown as { perch: { rerank(l: unknown[]): Promise<RerankResult> } })
    .perch.rerank([{ item_id: 'item-1' }, { item_id: 'item-2' }, { item_id: 'item-3' }]));
  expect(r.personalized).toBe(false);
  expect(r.items.map((i) => i.item.item_id)).toEqual(['item-1', 'item-2', 'item-3']);
  // The federated client's round poll sees a base version the model side does not have and asks it to load again.
  await waitFor(async () => (await d.audit()).model.version === '1', 90_000, 'model version 1 after the stalled manifest');
  expect(stalled()).toBeDefined();
  expect(env.proxy.requests.filter((q) => q.path === '/v1/model/manifest.json').length).toBeGreaterThan(1);
  await d.context.close();
});
