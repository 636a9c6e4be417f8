// A malicious aggregator against the device's pinned privacy policy. The real aggregator runs on 127.0.0.1 and a
// proxy in front of it rewrites what it announces (the instrumented, dishonest server); Chromium devices pin the
// default policy (device noise z ≥ 5, C = 1, the default recipe's tensors, ε 8 at δ 1e-10 against the aggregator)
// with the cohort minimum each case states. In every case the device refuses, with the reason in audit() and on
// the log entry of the round it refused, or takes part with a shown ε at least the true server-view ε.
import { expect, test, type Browser } from '@playwright/test';
import { SHARED_DENSE_WEIGHTS } from '@perch/model/spec';
import { DeviceAccountant } from '@perch/learn/privacy';
import type { AuditReport } from '@perch/sdk';
import { waitFor, type Recorded } from './support/aggregator.js';
import { consentAll, historyFor, openDevice, type Device } from './support/device.js';
import { federatedSuite } from './support/suite.js';

// The real rounds: z = 5, a cohort of one that closes as soon as one update arrives (what case (c) hides).
const devices: Device[] = [];
const env = federatedSuite(['--min-clients', '1', '--target-clients', '1', '--close-at-target', 'on', '--round-seconds', '60', '--sampling', '1', '--noise', '5', '--clip', '1'], devices);

type Round = Record<string, unknown> & { local: Record<string, unknown> };
/** Makes the proxy announce `change(round)` instead of the aggregator's round description. */
function announce(change: (r: Round) => void): void {
  env.proxy.rewrite = (req: Recorded, answer) => {
    if (req.method !== 'GET' || req.path !== '/v1/round' || answer.status !== 200) return undefined;
    const r = JSON.parse(answer.body.toString()) as Round;
    change(r);
    return { body: Buffer.from(JSON.stringify(r)) };
  };
}

let n = 0;
async function device(browser: Browser, federated: Record<string, unknown>): Promise<Device> {
  const d = await openDevice(browser, env.sdk, {
    consent: consentAll, mode: 'federated', aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys, dbName: `perch-mal-${++n}`,
    federated: { minIntervalMs: 300, idleAfterMs: 0, maxUploadDelayMs: 0, ...federated },
  }, historyFor(n));
  devices.push(d);
  return d;
}

const uploadsOf = (a: AuditReport): number => a.outbound.filter((e) => e.method === 'POST').length;

/** Waits for the refusal `code`; checks it is in audit(), on the round's log entry, and that nothing was uploaded. */
async function refused(d: Device, code: string, reason: RegExp): Promise<AuditReport> {
  const a = await waitFor(async () => { const x = await d.audit(); return x.federated?.refusals.some((r) => r.code === code) ? x : null; }, 30_000, `refusal ${code}`);
  const r = a.federated!.refusals.find((x) => x.code === code)!;
  expect(r.reason).toMatch(reason);
  expect(a.federated!.state).toMatch(/^refused round \d+: /);
  expect(a.outbound.some((e) => e.method === 'GET' && e.url.endsWith('/v1/round') && e.refused === r.reason), 'the refused round is marked in the transparency log').toBe(true);
  expect(uploadsOf(a)).toBe(0);
  expect(a.privacy).toMatchObject({ epsilonServer: 0, epsilonPublished: 0, uploads: 0 });
  await retire(d);
  return a;
}

/** Closes a device once its case is over, so it takes no part in the next case's rounds. */
async function retire(d: Device): Promise<void> {
  devices.splice(devices.indexOf(d), 1);
  await d.context.close();
}

test.describe.configure({ mode: 'serial' });

test('(a) z = 0 with a large central noise multiplier: refused, central noise is never counted on trust', async ({ browser }) => {
  test.setTimeout(60_000);
  announce((r) => { r.noiseMultiplier = 0; r.centralNoiseMultiplier = 50; });
  const d = await device(browser, { minCohort: 1 });
  await refused(d, 'central_noise_on_trust', /z = 0 below the policy's 5 .* z_c = 50 that the device cannot check/);
  // Device noise just below the floor, without central noise, is refused too.
  announce((r) => { r.noiseMultiplier = 4.9; });
  const e = await device(browser, { minCohort: 1 });
  await refused(e, 'noise_below_floor', /z = 4.9, below the policy's minimum 5/);
});

test('(b) every tensor frozen but one (the whole clip budget on 1 value): refused', async ({ browser }) => {
  test.setTimeout(60_000);
  announce((r) => { r.local.frozen = SHARED_DENSE_WEIGHTS.filter((t) => t !== 'intent_b'); });
  await refused(await device(browser, { minCohort: 1 }), 'trainable', /trains intent_b; the policy allows exactly/);
  announce((r) => { r.local.replayInputs = true; });
  await refused(await device(browser, { minCohort: 1 }), 'unknown_recipe', /unknown recipe field replayInputs/);
});

test('(c) a cohort of one, announced: refused', async ({ browser }) => {
  test.setTimeout(60_000);
  env.proxy.rewrite = undefined; // the aggregator's own round: min clients 1
  await refused(await device(browser, {}), 'cohort', /publish from 1 update, below the policy's minimum cohort 10/);
});

test('(c) a cohort of ten announced, one run: the device takes part with its true ε, then refuses the version the lie produced', async ({ browser }) => {
  test.setTimeout(90_000);
  announce((r) => { r.minClients = 10; });
  const d = await device(browser, {});
  const a = await waitFor(async () => { const x = await d.audit(); return x.federated?.refusals.some((r) => r.code === 'cohort_run') ? x : null; }, 60_000, 'the published cohort to be caught');
  expect(a.federated!.refusals.find((r) => r.code === 'cohort_run')!.reason).toMatch(/version \d+ was published from 1 update, below the policy's minimum cohort 10/);
  // It had uploaded once, in the round that lied: its ε is the true server-view ε of that one upload at z = 5.
  const posts = a.outbound.filter((e) => e.method === 'POST');
  expect(posts.length).toBe(1);
  expect(posts[0]!.status).toBe(202);
  const truth = new DeviceAccountant({ epsilonBudget: 8, delta: 1e-10 });
  truth.recordUpload(5, 0);
  expect(a.privacy.epsilonServer).toBe(truth.epsilonServer());
  expect(a.privacy.epsilonServer).toBeGreaterThan(2.5);
  await retire(d);
});

test('(g) a higher budget and a larger δ announced: ignored; the device keeps its own and stops at its budget', async ({ browser }) => {
  test.setTimeout(90_000);
  announce((r) => { r.epsilonBudget = 1000; r.delta = 0.5; r.samplingProbability = 1; r.local = { ...r.local }; });
  const d = await device(browser, { minCohort: 1, epsilonBudget: 3 }); // one upload at z = 5 (ε 2.56) fits, a second does not
  const a = await waitFor(async () => { const x = await d.audit(); return x.federated?.state === 'privacy budget exhausted' ? x : null; }, 60_000, 'the device to stop at its own budget');
  expect(a.privacy).toMatchObject({ epsilonBudget: 3, delta: 1e-10, uploads: 1 });
  const truth = new DeviceAccountant({ epsilonBudget: 3, delta: 1e-10 });
  truth.recordUpload(5, 0);
  expect(a.privacy.epsilonServer).toBe(truth.epsilonServer());
  expect(uploadsOf(a)).toBe(1);
  await new Promise((r) => setTimeout(r, 1500));
  expect(uploadsOf(await d.audit())).toBe(1);
  await retire(d);
});
