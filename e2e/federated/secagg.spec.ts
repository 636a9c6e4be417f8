// Browser → aggregator with secure aggregation: the real aggregator (`--secagg on`, test-sized cohort: k and t
// pinned, min cohort 4) and six Chromium contexts whose pages pin an opt-in secure-aggregation policy that matches.
// Each device trains, encodes its clipped delta with the round's distributed discrete Gaussian and runs the four
// SecAgg+ steps from its worker. One device is cut off before its masked input can leave (its context aborts that
// request: it drops out before masking, so its neighbours release its s-share), and one is closed after its masked
// input was accepted (its context aborts its unmask request, then the test closes its page: the survivors' shares
// rebuild its self-mask; a new page of the same browser profile then shows what the closed one had logged and spent). The published step must equal the release of the plain sum of the five survivors' encoded
// vectors, which the test reads from each worker (`__test.keepSecAggInput`) and sums itself. Every device's
// outbound log holds only the protocol's messages (the library's, in the wire form), byte for byte as the aggregator
// received them, with no item id, list id or timestamp, and its audit shows the ε of the noisy sum recorded for the
// upload.
import { expect, test, type Worker } from '@playwright/test';
import type { RoundDescription } from '@perch/learn/client';
import { packedLength } from '@perch/learn/ddg';
import { encodeReply, readReply, type Step } from '@perch/learn/secagg';
import { deviceDdgNoise, DeviceAccountant, readSecAggPolicy, readSecAggRound, trainedBy } from '@perch/learn/privacy';
import { selectedSize, trainedTensors } from '@perch/learn/update';
import type { AuditReport, OutboundLogEntry } from '@perch/sdk';
import { waitFor } from './support/aggregator.js';
import { consentAll, historyFor, openDevice, type Device } from './support/device.js';
import { decodedSum, keptInput, layoutOfRound, secaggAggregatorArgs, stepFromSum, weightsOf } from './support/secagg.js';
import { federatedSuite } from './support/suite.js';

const N = 6;
/** Index of the device cut off before its masked input leaves, and of the one closed before it unmasks. */
const NO_MASKED = 5, CLOSED = 4;
const SURVIVORS = [0, 1, 2, 3, 4];
// k = 6 on 6 devices is the complete graph (each device's k is min(k, n − 1) = 5); t = 3 survives the two dropouts.
const AGG_ARGS = secaggAggregatorArgs({ devices: N, t: 3, roundSeconds: 180, stageSeconds: '180,60,25,25' });
// The device's own secure-aggregation policy, pinned to this test's cohort (the aggregator's defaults for the rest:
// ε 3 per upload over the honest share of a cohort of 4). A budget of 4 allows one such upload, not two.
const SECAGG_POLICY = { minCohort: 4, minDegree: 4, minThreshold: 3 };
const BUDGET = 4;

const devices: Device[] = [];
const env = federatedSuite(AGG_ARGS, devices);

const health = async (): Promise<{ modelVersion: number; roundId: number }> => (await fetch(`${env.agg.url}/health`)).json() as never;

const posts = (a: Pick<AuditReport, 'outbound'>): OutboundLogEntry[] => a.outbound.filter((e) => e.method === 'POST');

test('six browsers run a SecAgg+ round with two dropouts; the published step is the release of the survivors\' plain sum', async ({ browser }) => {
  test.setTimeout(420_000);
  const round = await (await fetch(`${env.agg.url}/v1/round`)).json() as RoundDescription;
  expect(round.secagg?.protocol).toBe('secagg+');
  const s = round.secagg!;
  const config = {
    consent: consentAll, mode: 'federated', aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys, modelUrl: `${env.proxy.url}/v1/model/manifest.json`,
    dbName: 'perch-fed', __test: { keepSecAggInput: true },
    federated: { minIntervalMs: 300, idleAfterMs: 0, epsilonBudget: BUDGET, maxUploadDelayMs: 500, minCohort: 4, trainable: trainedBy(round.local), secagg: SECAGG_POLICY },
  };
  const started = Date.now();
  let closedAudit: AuditReport | undefined;
  let closedInput: Uint32Array | undefined;
  let closeNow!: () => void;
  const closing = new Promise<void>((r) => { closeNow = r; });
  for (let i = 0; i < N; i++) {
    const d = await openDevice(browser, env.sdk, config, historyFor(i + 1));
    if (i === NO_MASKED) await d.context.route('**/secagg/masked-input', (r) => r.abort('connectionreset'));
    if (i === CLOSED) await d.context.route('**/secagg/unmask', async (r) => { await r.abort('connectionreset'); closeNow(); });
    devices.push(d);
  }
  // The device closed before unmasking: its masked input was accepted (it holds its unmask request); the vector it
  // encoded is read from its worker, then its page (and with it the worker) is closed.
  const closedDone = closing.then(async () => {
    const d = devices[CLOSED]!;
    closedInput = await keptInput(d, round.roundId);
    await d.page.close();
  });

  await waitFor(async () => (await health()).modelVersion === 2, 360_000, 'the secure-aggregation round to publish version 2').catch(async (e: unknown) => {
    const seen = env.proxy.requests.map((r) => `${r.method} ${r.path} ${r.status ?? '-'} ${r.body.length}B`);
    const states = await Promise.all(devices.map((d, i) => (i === CLOSED ? Promise.resolve('closed') : d.audit().then((a) => a.federated?.state ?? '-', () => 'gone'))));
    throw new Error(`${(e as Error).message}\ndevice states: ${JSON.stringify(states)}\nproxy saw:\n${seen.slice(-40).join('\n')}\naggregator stderr: ${env.agg.stderr().slice(-3000)}`);
  });
  await closedDone;
  {
    // What the closed device logged and spent, as a new page of the same profile shows it (not training again).
    const page = await devices[CLOSED]!.context.newPage();
    await page.goto(`${env.sdk.origin}/p/fed.html`);
    await page.waitForFunction(() => (window as unknown as { perch?: { loaded?: boolean } }).perch?.loaded === true);
    closedAudit = await page.evaluate(async (cfg) => {
      const p = (window as unknown as { perch: { init(c: unknown): Promise<void>; audit(): Promise<AuditReport> } }).perch;
      await p.init(cfg);
      return p.audit();
    }, { ...config, consent: { ...consentAll, training: 'denied' } });
  }
  const elapsed = Date.now() - started;
  console.log(`secagg round: published ${elapsed} ms after the first page opened`);

  // The step the aggregator must publish: the release of the decoded sum of the survivors' encoded vectors.
  const inputs: Uint32Array[] = [];
  for (const i of SURVIVORS) {
    const v = i === CLOSED ? closedInput : await keptInput(devices[i]!, round.roundId);
    expect(v, `device ${i} kept its encoded vector`).toBeTruthy();
    expect(v!.length).toBe(s.d);
    inputs.push(v!);
  }
  const [v1, v2] = [await weightsOf(env.agg.url, 1), await weightsOf(env.agg.url, 2)];
  const { worst, moved, size } = stepFromSum(round, inputs, v1.weights, v2.weights);
  expect(moved, 'the step is not empty').toBeGreaterThan(size / 2);
  expect(worst, 'published v2 − v1 = release of the survivors\' plain sum').toBeLessThan(1e-6);
  // Without the closed device's vector the sum is not the published one (the check can fail).
  const sum = decodedSum(round, inputs);
  const without = decodedSum(round, inputs.filter((_, i) => SURVIVORS[i] !== CLOSED));
  expect(Array.from(without).some((v, j) => Math.abs(v - sum[j]!) > 1e-3)).toBe(true);
  const fed = ((v2.manifest.hyperParameters as Record<string, unknown>).federated as Record<string, unknown>).secagg as Record<string, unknown>;
  expect(fed.survivors).toBe(SURVIVORS.length);
  expect(fed.participants).toBe(N);

  // What the device must have recorded: one upload of the noisy sum over its policy's honest cohort.
  const layout = layoutOfRound(round);
  const trained = trainedTensors(layout, round.local.frozen);
  const view = readSecAggRound(s, { tensors: trained, dim: selectedSize(layout, trained) });
  if (typeof view === 'string') throw new Error(view);
  const accounting = deviceDdgNoise(view, readSecAggPolicy(SECAGG_POLICY)!, round.clipBound, 1e-10).accounting;
  const acc = new DeviceAccountant({ epsilonBudget: BUDGET, delta: 1e-10 });
  acc.recordDdgUpload(accounting);
  // σ_dev is calibrated to the policy's ε per upload (checkRound's ddgEpsilon); the accountant converts at its own
  // orders, which can read a hair above it.
  expect(Math.abs(acc.epsilonServer() - 3)).toBeLessThan(0.01);
  expect(acc.canUploadDdg(accounting)).toBe(false);

  const proxyPosts = env.proxy.requests.filter((r) => r.method === 'POST');
  const stepOf = (url: string): string => new URL(url).pathname.replace(`/v1/round/${round.roundId}/secagg/`, '');
  // The participants: every device's id, the part before the dot of the credential its later steps carried.
  const participants = [...new Set(proxyPosts.map((p) => /^Bearer ([^.]+)\./.exec(String(p.headers.authorization ?? ''))?.[1]).filter((x): x is string => x !== undefined))].sort();
  expect(participants).toHaveLength(N);
  const ctx = { participants, d: s.d, bits: s.bits };
  const LIB_STEP: Record<string, Step> = { advertise: 'advertise-keys', 'share-keys': 'share-keys', 'masked-input': 'masked-input', unmask: 'unmasking' };
  for (const [i, d] of devices.entries()) {
    const a = i === CLOSED ? closedAudit! : await d.audit();
    expect(a.privacy, `device ${i}`).toMatchObject({ epsilonServer: acc.epsilonServer(), epsilonPublished: acc.epsilonServer(), uploads: 1, secaggUploads: 1, epsilonBudget: BUDGET });
    expect(a.privacy.epsilonAlone!).toBeGreaterThan(a.privacy.epsilonServer);
    expect(a.federated?.refusals ?? []).toEqual([]);
    // The secure-aggregation side was fetched for this round (a plain round never fetches it: round.spec.ts).
    expect(d.urls.some((u) => u.endsWith('/perch-secagg.js')), `device ${i} loaded perch-secagg.js`).toBe(true);
    const logged = posts(a);
    const steps = new Set(logged.map((e) => stepOf(e.url)));
    const want = i === NO_MASKED ? ['advertise', 'share-keys', 'masked-input'] : ['advertise', 'share-keys', 'masked-input', 'unmask'];
    expect([...steps].sort(), `device ${i}: only the protocol's steps`).toEqual([...want].sort());
    const senders = new Set<string>();
    for (const e of logged) {
      const body = Buffer.from(e.body, 'base64');
      expect(body.length).toBe(e.bytes);
      const stepName = stepOf(e.url);
      // The library's message of that step in the wire form, and nothing else: read back and encoded again, it
      // is the same bytes. Advertise has an empty sender (the aggregator assigns the id).
      const msg = readReply(body, ctx, LIB_STEP[stepName]);
      if (!msg.ok) throw new Error(`device ${i} ${stepName}: ${msg.reason} ${msg.detail}`);
      expect(Buffer.from(encodeReply(msg.message, ctx)).equals(body), `device ${i} ${stepName}: only the message`).toBe(true);
      expect(msg.message.roundId).toBe(String(round.roundId));
      if (stepName === 'advertise') expect(msg.message.sender).toBe('');
      else senders.add(msg.message.sender);
      if (stepName === 'masked-input') {
        // The header, the sender's index and the masked vector packed at the round's bits.
        expect(body.length).toBe(3 + String(round.roundId).length + 2 + packedLength(s.d, s.bits));
      } else {
        for (const [, ids, list] of historyFor(i + 1)) {
          for (const id of ids) expect(body.includes(Buffer.from(id))).toBe(false);
          expect(body.includes(Buffer.from(list!))).toBe(false);
        }
        const text = body.toString('latin1');
        for (let t = Math.floor(started / 1000) - 5; t <= Math.floor(Date.now() / 1000) + 5; t++) {
          expect(text.includes(String(t))).toBe(false);
          const le = Buffer.alloc(4); le.writeUInt32LE(t); expect(body.includes(le)).toBe(false);
        }
      }
      // Byte for byte what the aggregator received; the requests cut off in the dropouts' browsers never reached it
      // (the last of them may still be in flight while the device retries, so its error is checked below).
      const aborted = (i === NO_MASKED && stepName === 'masked-input') || (i === CLOSED && stepName === 'unmask');
      const seen = proxyPosts.some((p) => p.body.equals(body) && p.path === new URL(e.url).pathname);
      expect(seen, `device ${i} ${stepName} ${aborted ? 'never reached the aggregator' : 'reached the aggregator unchanged'}`).toBe(!aborted);
    }
    expect(senders.size, `device ${i}: one sender in every step after advertise`).toBe(1);
    if (i === NO_MASKED) expect(logged.some((e) => stepOf(e.url) === 'masked-input' && e.error), `device ${i}: its masked input was cut off`).toBe(true);
  }
  // Every POST the aggregator received is in some device's log (nothing was sent unlogged).
  const allLogged = (await Promise.all(devices.map((d, i) => (i === CLOSED ? closedAudit! : d.audit())))).flatMap((a) => posts(a).map((e) => Buffer.from(e.body, 'base64')));
  for (const p of proxyPosts) expect(allLogged.some((b) => b.equals(p.body)), `${p.path} logged`).toBe(true);
});
