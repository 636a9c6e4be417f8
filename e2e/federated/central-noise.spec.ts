// DP-FedAvg deployment (noise added by the aggregator, not by the devices): the round announces its central
// noise multiplier, a device that adds no noise of its own still counts ε for it (√(z² + z_c²) = z_c), sends
// client weight 1 (the example count is not covered by DP), and stops at its budget; the round runs to its
// deadline (with central noise the aggregator never closes a round early at its target: 20 s rounds here) and
// publishes a version that the device picks up.
import { expect, test } from '@playwright/test';
import { PrivacyAccountant } from '../../packages/model/src/privacy/accountant.js';
import { waitFor } from './support/aggregator.js';
import { consentAll, historyFor, openDevice, type Device } from './support/device.js';
import { federatedSuite } from './support/suite.js';

const ZC = 2; // central noise multiplier; clients add none
const BUDGET = 3; // one round at q = 1, z = 2 costs ε ≈ 2.4: exactly one contribution fits
const devices: Device[] = [];
const env = federatedSuite(['--min-clients', '1', '--target-clients', '1', '--round-seconds', '20', '--sampling', '1', '--noise', '0', '--central-noise', String(ZC), '--clip', '1'], devices);

test('central noise only: ε is counted for the announced z_c, the upload carries weight 1, the round publishes and the device stops at its budget', async ({ browser }) => {
  test.setTimeout(150_000);
  const round = (await (await fetch(`${env.agg.url}/v1/round`)).json()) as { noiseMultiplier: number; centralNoiseMultiplier: number };
  expect(round).toMatchObject({ noiseMultiplier: 0, centralNoiseMultiplier: ZC });
  const d = await openDevice(browser, env.sdk, {
    consent: consentAll, mode: 'federated', aggregatorUrl: env.proxy.url, modelUrl: `${env.proxy.url}/v1/model/manifest.json`,
    dbName: 'perch-fed', federated: { minIntervalMs: 300, idleAfterMs: 0, epsilonBudget: BUDGET, maxUploadDelayMs: 0 },
  }, historyFor(2));
  devices.push(d);
  const a = await waitFor(async () => { const x = await d.audit(); return x.model.version === '2' ? x : null; }, 90_000, 'the device on version 2');
  const uploads = a.outbound.filter((e) => e.method === 'POST' && e.status === 202);
  expect(uploads.length).toBe(1);
  expect(Buffer.from(uploads[0]!.body, 'base64').readUInt32LE(24), 'client weight 1 under DP').toBe(1);
  const acc = new PrivacyAccountant({ epsilonBudget: BUDGET });
  acc.record(1, ZC);
  expect(a.privacy.epsilonSpent).toBeGreaterThan(0);
  expect(a.privacy.epsilonSpent).toBeCloseTo(acc.spent().epsilon, 9);
  await waitFor(async () => (await d.audit()).federated?.state === 'privacy budget exhausted', 15_000, 'the device stops at its budget');
  expect(env.proxy.requests.filter((r) => r.method === 'POST').length).toBe(1);
});
