// Nothing reaches the aggregator unless every condition holds: GPC on, training consent denied or missing,
// mode on-device (the default) or an active page → not a single request (counted at a recording proxy in
// front of the real aggregator), an empty transparency log and no ε spent. A positive control with every
// condition met shows the same setup does reach the aggregator within the same wait.
import { expect, test } from '@playwright/test';
import { waitFor } from './support/aggregator.js';
import { historyFor, openDevice } from './support/device.js';
import { federatedSuite } from './support/suite.js';

const env = federatedSuite(['--min-clients', '1', '--target-clients', '100', '--sampling', '1', '--noise', '5']);

const granted = { storage: 'granted', personalization: 'granted', training: 'granted' };
const base = (over: Record<string, unknown>) => ({
  mode: 'federated', consent: granted, dbName: 'perch-fed', federated: { minIntervalMs: 200, idleAfterMs: 0, maxUploadDelayMs: 0, minCohort: 1 }, ...over,
});
const cases: [string, Record<string, unknown>, { gpc?: boolean }][] = [
  ['GPC on', base({}), { gpc: true }],
  ['training consent denied', base({ consent: { ...granted, training: 'denied' } }), {}],
  ['training consent missing', base({ consent: { storage: 'granted', personalization: 'granted' } }), {}],
  ['mode on-device', base({ mode: 'on-device' }), {}],
  ['mode not set (on-device by default)', base({ mode: undefined }), {}],
  ['page never idle', base({ federated: { minIntervalMs: 200, idleAfterMs: 3_600_000, minCohort: 1 } }), {}],
];

for (const [name, cfg, opts] of cases) {
  test(`${name} → no request to the aggregator at all`, async ({ browser }) => {
    test.setTimeout(60_000);
    env.proxy.requests.length = 0;
    const config = { ...cfg, aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys };
    const d = await openDevice(browser, env.sdk, config, historyFor(3), opts);
    await new Promise((r) => setTimeout(r, 3_000)); // 15 poll intervals
    const a = await d.audit();
    expect(env.proxy.requests).toEqual([]);
    // The browser's own view agrees: no request to the aggregator's origin, no request with a body.
    expect(d.urls.filter((u) => u.startsWith(env.proxy.url))).toEqual([]);
    expect(d.posts).toEqual([]);
    expect(a.outbound).toEqual([]);
    expect(a.privacy.epsilonServer).toBe(0);
    if (opts.gpc) expect(a.gpc).toBe(true);
    // In federated mode the client says why it waits; in on-device mode there is no client to speak of.
    if (cfg.mode === 'federated') expect(a.federated?.uploads).toBe(0);
    else expect(a.federated).toBeUndefined();
    await d.context.close();
  });
}

test('positive control: with every condition met the same page reaches the aggregator and uploads', async ({ browser }) => {
  test.setTimeout(90_000);
  env.proxy.requests.length = 0;
  const d = await openDevice(browser, env.sdk, { ...base({}), aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys }, historyFor(3));
  await waitFor(async () => env.proxy.requests.some((r) => r.method === 'POST' && r.status === 202), 60_000, 'an upload');
  expect((await d.audit()).privacy.epsilonServer).toBeGreaterThan(0);
  expect(d.urls.some((u) => u.startsWith(env.proxy.url))).toBe(true);
  expect(d.posts.length).toBeGreaterThan(0);
  await d.context.close();
});
