// A malicious aggregator against devices that pin a secure-aggregation policy. The real aggregator runs SecAgg+
// rounds (`--secagg on`, a complete graph on the test cohort) and the recording proxy in front of it rewrites its
// answers: the round description (case a) and the next step's request that each SecAgg+ answer carries in the
// wire form (cases b–e: read with the library's decoder, changed, encoded again).
// Rewriting is enough for every lie here because each request reaches the device only inside an aggregator answer;
// a scripted fake server is not needed. The proxy tells each device of one round a different lie, chosen by the
// device's place in the participant list (the device id is the prefix of its bearer credential), so one round
// covers the step cases; the round then fails at the aggregator (too few shares to unmask) and nothing is published.
// Every refusal must show in audit() with its code and reason, and on the log entry whose answer carried the lie;
// what reached the proxy shows what each device did not send; ε is spent only by devices that masked their vector.
// Case f: the proxy tells one device a survivor set one short of the real one; the round is published over the
// real set, and that device finds the difference in the signed version, records it and refuses the next round.
import { createHash } from 'node:crypto';
import { expect, test, type Browser } from '@playwright/test';
import type { RoundDescription } from '@perch/learn/client';
import { deviceDdgNoise, DeviceAccountant, readSecAggPolicy, readSecAggRound, trainedBy } from '@perch/learn/privacy';
import { decodeReply, decodeRequest, encodeRequest, SECAGG_TOKEN_HEADER, type Unmask, type WireRequest } from '@perch/learn/secagg';
import type { AuditReport } from '@perch/sdk';
import { waitFor, type Recorded } from './support/aggregator.js';
import { consentAll, historyFor, openDevice, type Device } from './support/device.js';
import { secaggAggregatorArgs } from './support/secagg.js';
import { federatedSuite } from './support/suite.js';

const N = 7;
// k = 6 on 7 devices is the complete graph; t = 2 lets a survivor set that is short of real survivors still reach
// t neighbours, so the cohort checks are what stops it (not the threshold).
const AGG_ARGS = secaggAggregatorArgs({ devices: N, t: 2, roundSeconds: 420, stageSeconds: '300,20,20,20' });
const SECAGG_POLICY = { minCohort: 4, minDegree: 4, minThreshold: 2 };
const BUDGET = 4;

const devices: Device[] = [];
const env = federatedSuite(AGG_ARGS, devices);

type Json = Record<string, unknown>;
const json = (b: Buffer): Json => JSON.parse(b.toString('utf8')) as Json;
/** The device a SecAgg+ request came from: its id is the part of its bearer credential before the dot. */
const deviceOf = (r: Recorded): string | undefined => /^Bearer ([^.]+)\./.exec(String(r.headers.authorization ?? ''))?.[1];
const stepOf = (path: string): string => path.split('/').pop()!;
const posts = (a: AuditReport) => a.outbound.filter((e) => e.method === 'POST');

let firstRound: RoundDescription;
let n = 0;
async function device(browser: Browser, budget = BUDGET): Promise<Device> {
  const d = await openDevice(browser, env.sdk, {
    consent: consentAll, mode: 'federated', aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys, dbName: `perch-mal-secagg-${++n}`,
    federated: { minIntervalMs: 300, idleAfterMs: 0, epsilonBudget: budget, maxUploadDelayMs: 500, minCohort: 4, trainable: trainedBy(firstRound.local), secagg: SECAGG_POLICY },
  }, historyFor(n));
  devices.push(d);
  return d;
}

async function retire(d: Device): Promise<void> {
  devices.splice(devices.indexOf(d), 1);
  await d.context.close();
}

/** Waits for the refusal `code` in audit() and checks its reason. */
async function refusal(d: Device, code: string, reason: RegExp, timeoutMs: number): Promise<AuditReport> {
  const a = await waitFor(async () => { const x = await d.audit(); return x.federated?.refusals.some((r) => r.code === code) ? x : null; }, timeoutMs, `refusal ${code}`)
    .catch(async (e: unknown) => { const x = await d.audit(); throw new Error(`${(e as Error).message}; state ${x.federated?.state}, refusals ${JSON.stringify(x.federated?.refusals)}`); });
  expect(a.federated!.refusals.find((r) => r.code === code)!.reason).toMatch(reason);
  return a;
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  firstRound = await (await fetch(`${env.agg.url}/v1/round`)).json() as RoundDescription;
});

test('(a) a round description announcing a min cohort, k or t below the pinned policy: refused at the round check, nothing sent', async ({ browser }) => {
  test.setTimeout(120_000);
  expect(firstRound.secagg?.protocol).toBe('secagg+');
  const lies: [string, (s: Json) => void, string, RegExp][] = [
    ['min cohort 3', (s) => { s.minCohort = 3; }, 'secagg_cohort', /sum as few as 3 devices, below the policy's minimum cohort 4/],
    ['k = 2', (s) => { s.k = 2; }, 'secagg_degree', /neighbour degree k = 2 is below the 3 the policy requires/],
    ['t = 1', (s) => { s.t = 1; }, 'secagg_threshold', /threshold t = 1 is below the 2 the policy requires/],
  ];
  for (const [what, lie, code, reason] of lies) {
    env.proxy.rewrite = (req, answer) => {
      if (req.method !== 'GET' || req.path !== '/v1/round' || answer.status !== 200) return undefined;
      const r = json(answer.body);
      lie(r.secagg as Json);
      return { body: Buffer.from(JSON.stringify(r)) };
    };
    const before = env.proxy.requests.length;
    const d = await device(browser);
    const a = await refusal(d, code, reason, 30_000);
    expect(a.federated!.state, what).toMatch(/^refused round \d+: /);
    const r = a.federated!.refusals.find((x) => x.code === code)!;
    expect(a.outbound.some((e) => e.method === 'GET' && e.url.endsWith('/v1/round') && e.refused === r.reason), `${what}: marked on the round's log entry`).toBe(true);
    expect(posts(a), `${what}: the device sent nothing`).toEqual([]);
    expect(env.proxy.requests.slice(before).filter((x) => x.method === 'POST'), `${what}: nothing reached the proxy`).toEqual([]);
    // The secure-aggregation side was never even loaded, and no ε was spent.
    expect(d.urls.some((u) => u.endsWith('/perch-secagg.js'))).toBe(false);
    expect(a.privacy).toMatchObject({ epsilonServer: 0, epsilonPublished: 0, uploads: 0 });
    await retire(d);
  }
});

test('(b–e) lies in the share-keys, masked-input and unmask requests: each device refuses at its step with the reason; nothing it must not send leaves', async ({ browser }) => {
  test.setTimeout(300_000);
  const roundId = firstRound.roundId;
  const stepPath = (step: string): string => `/v1/round/${roundId}/secagg/${step}`;
  // Roles by place in the sorted participant list. b: a neighbour list with one neighbour missing; e: the share-keys
  // request of another round (replayed); c: a masked-input cohort below the min cohort; d1: a survivor set below the
  // min cohort; d2: a survivor set of min-cohort size that lists as survivor the device announced dropped at share
  // keys (it never masked; the device would then release the s-share of a real survivor the others unmask with its
  // b-share); the last two are honest.
  const ROLES = ['b', 'e', 'c', 'd1', 'd2', 'honest', 'honest'] as const;
  let participants: string[] = [];
  const role = (id: string | undefined): string | undefined => (id === undefined ? undefined : ROLES[participants.indexOf(id)]);
  const told: Record<string, Json> = {};
  env.proxy.rewrite = (req, answer) => {
    // After this round, the proxy announces no round: the devices take part in nothing else while they are checked.
    if (req.method === 'GET' && req.path === '/v1/round') {
      if (answer.status === 200 && json(answer.body).roundId !== roundId) return { status: 404, body: Buffer.from('{}') };
      return undefined;
    }
    if (req.method !== 'POST' || answer.status !== 200 || !req.path.startsWith(`/v1/round/${roundId}/secagg/`)) return undefined;
    const step = stepOf(req.path);
    if (step === 'unmask') return undefined; // {status: "done"}: no request
    // The next step's request in the wire form (the participants come with the share-keys request).
    const q = decodeRequest(answer.body, { participants }) as unknown as Json | undefined;
    if (!q) throw new Error(`${req.path}: the answer does not decode`);
    let id = deviceOf(req);
    if (step === 'advertise') {
      id = String(answer.headers[SECAGG_TOKEN_HEADER]).split('.')[0];
      participants = [...(q.participants as string[])];
      if (role(id) === 'b') q.neighbours = (q.neighbours as Json[]).slice(1);
      else if (role(id) === 'e') q.roundId = String(roundId - 1);
      else return undefined;
    } else if (step === 'share-keys' && role(id) === 'c') {
      q.cohort = [id!, ...(q.cohort as string[]).filter((x) => x !== id).slice(0, 2)].sort();
    } else if (step === 'masked-input' && role(id) === 'd1') {
      q.survivors = [id!, ...(q.survivors as string[]).filter((x) => x !== id).slice(0, 2)].sort();
    } else if (step === 'masked-input' && role(id) === 'd2') {
      const others = (q.survivors as string[]).filter((x) => x !== id);
      q.survivors = [id!, ...others.slice(1), participants[ROLES.indexOf('b')]!].sort();
    } else return undefined;
    told[`${id} ${step}`] = q;
    return { body: Buffer.from(encodeRequest(q as unknown as WireRequest, { participants })) };
  };

  for (let i = 0; i < N; i++) await device(browser);
  // b and e refuse at share keys, c at masked input, d1 and d2 at unmasking (after the masked-input stage closed).
  const expectations: [string, string, RegExp][] = [
    ['b', 'secagg_graph-mismatch', /^secure aggregation, share-keys: the neighbour list is not the graph derived from the seed and participants/],
    ['e', 'secagg_wrong-round', new RegExp(`^secure aggregation, share-keys: round ${roundId - 1}$`)],
    ['c', 'secagg_cohort-too-small', /^secure aggregation, masked-input: 3 completed round 1$/],
    ['d1', 'secagg_cohort-too-small', /^secure aggregation, unmasking: 3 survivors$/],
    ['d2', 'secagg_not-in-cohort', /^secure aggregation, unmasking: \S+ is in the survivor set but did not complete share keys$/],
  ];
  const audits = new Map<Device, AuditReport>();
  for (const d of devices) {
    const codes = expectations.map((x) => x[1]);
    audits.set(d, await waitFor(async () => {
      const a = await d.audit();
      // Refused, or answered at unmasking (released its shares: what the honest ones do, and a device that missed a lie).
      return a.federated?.refusals.some((r) => codes.includes(r.code)) || posts(a).some((e) => e.url.endsWith('/secagg/unmask') && e.status !== undefined) ? a : null;
    }, 150_000, 'every device to refuse or finish').catch(async (e: unknown) => {
      const seen = env.proxy.requests.filter((r) => r.method === 'POST').map((r) => `${r.path} ${deviceOf(r) ?? '-'} ${r.status ?? '-'}`);
      const a = await d.audit();
      throw new Error(`${(e as Error).message}: state ${a.federated?.state}; refusals ${JSON.stringify(a.federated?.refusals)}\nproxy saw:\n${seen.join('\n')}\n${env.agg.stderr().slice(-2000)}`);
    }));
  }
  expect(participants.length, 'all seven advertised before the stage closed').toBe(N);

  // Whose audit is whose: the device id is in the credential of its later requests; b and e sent only advertise.
  const idOf = new Map<Device, string>();
  for (const d of devices) {
    const logged = posts(audits.get(d)!).map((e) => Buffer.from(e.body, 'base64'));
    const rec = env.proxy.requests.find((r) => r.method === 'POST' && deviceOf(r) && logged.some((b) => b.equals(r.body)));
    if (rec) idOf.set(d, deviceOf(rec)!);
  }
  const unnamed = devices.filter((d) => !idOf.has(d));
  // The two devices that sent no credentialed request are b and e; the refusal code tells them apart.
  for (const d of unnamed) {
    const code = audits.get(d)!.federated?.refusals.map((r) => r.code) ?? [];
    idOf.set(d, participants[ROLES.indexOf(code.includes('secagg_graph-mismatch') ? 'b' : 'e')]!);
  }

  const proxyPosts = env.proxy.requests.filter((r) => r.method === 'POST' && r.path.startsWith(`/v1/round/${roundId}/secagg/`));
  const sentBy = (id: string, step: string): Recorded[] => proxyPosts.filter((r) => stepOf(r.path) === step && (step === 'advertise' ? false : deviceOf(r) === id));
  const view = readSecAggRound(firstRound.secagg, { tensors: firstRound.secagg!.ddg.tensors, dim: firstRound.secagg!.ddg.dim });
  if (typeof view === 'string') throw new Error(view);
  const truth = new DeviceAccountant({ epsilonBudget: BUDGET, delta: 1e-10 });
  truth.recordDdgUpload(deviceDdgNoise(view, readSecAggPolicy(SECAGG_POLICY)!, firstRound.clipBound, 1e-10).accounting);

  const seenRoles: string[] = [];
  for (const d of devices) {
    const id = idOf.get(d)!, r = role(id)!, a = audits.get(d)!;
    seenRoles.push(r);
    const logged = posts(a);
    const steps = logged.map((e) => stepOf(new URL(e.url).pathname));
    const exp = expectations.find((x) => x[0] === r);
    if (exp) {
      const [, code, reason] = exp;
      const refused = a.federated!.refusals.find((x) => x.code === code);
      expect(refused, `${r}: refusal ${code} in audit() (got ${JSON.stringify(a.federated!.refusals)})`).toBeTruthy();
      expect(refused!.reason).toMatch(reason);
      expect(a.federated!.refusals.length, `${r}: one refusal`).toBe(1);
      // Marked on the log entry whose answer carried the lie: the previous step's POST.
      const carrier = { b: 'advertise', e: 'advertise', c: 'share-keys', d1: 'masked-input', d2: 'masked-input' }[r]!;
      expect(logged.find((e) => e.refused === refused!.reason)?.url, `${r}: the refusal is on the ${carrier} entry`).toMatch(new RegExp(`/secagg/${carrier}$`));
    }
    // What left the device, step by step (its log, and what reached the proxy under its credential).
    const want = { b: ['advertise'], e: ['advertise'], c: ['advertise', 'share-keys'], d1: ['advertise', 'share-keys', 'masked-input'], d2: ['advertise', 'share-keys', 'masked-input'], honest: ['advertise', 'share-keys', 'masked-input', 'unmask'] }[r]!;
    expect([...new Set(steps)], `${r}: the steps it sent`).toEqual(want);
    expect(sentBy(id, 'masked-input').length > 0, `${r}: a masked input reached the proxy`).toBe(want.includes('masked-input'));
    expect(sentBy(id, 'unmask').length > 0, `${r}: unmask shares reached the proxy`).toBe(want.includes('unmask'));
    // ε: none for a device that refused before masking; one upload's true server-view ε for one that masked.
    if (want.includes('masked-input')) expect(a.privacy, r).toMatchObject({ epsilonServer: truth.epsilonServer(), uploads: 1, secaggUploads: 1 });
    else expect(a.privacy, r).toMatchObject({ epsilonServer: 0, epsilonPublished: 0, uploads: 0 });
  }
  expect(seenRoles.sort()).toEqual([...ROLES].sort());

  // What the aggregator collected in unmasking: for no device both its b-share and its s-share (the shares a
  // device releases are in clear to the server, so the proxy sees them all).
  const kinds = new Map<string, Set<string>>();
  for (const p of proxyPosts.filter((x) => stepOf(x.path) === 'unmask')) {
    const m = decodeReply(p.body, { participants }) as Unmask | undefined;
    expect(m?.step, `${p.path}: an unmask message in the wire form`).toBe('unmasking');
    for (const s of m!.shares) kinds.set(s.owner, (kinds.get(s.owner) ?? new Set()).add(s.kind));
  }
  expect(kinds.size, 'the honest devices released shares').toBeGreaterThan(0);
  for (const [owner, k] of kinds) expect([...k], `shares of ${owner} (${role(owner)})`).toHaveLength(1);
  // The round fails at the aggregator (too few shares to unmask): nothing is published.
  await waitFor(async () => { const h = await (await fetch(`${env.agg.url}/health`)).json() as { roundId: number }; return h.roundId > roundId; }, 60_000, 'the round to end');
  expect(((await (await fetch(`${env.agg.url}/health`)).json()) as { modelVersion: number }).modelVersion).toBe(1);
  expect(Object.keys(told).length).toBe(5);
});

test('(f) an unmask request naming another survivor set than the round is summed over: the device finds it in the published version, records it and refuses the aggregator\'s next secure-aggregation round', async ({ browser }) => {
  test.setTimeout(300_000);
  for (const d of [...devices]) await retire(d);
  const roundId = ((await (await fetch(`${env.agg.url}/v1/round`)).json()) as RoundDescription).roundId;
  // The victim is the first of the sorted participants; the survivor set it is told lacks the second, a real survivor.
  let participants: string[] = [];
  let real: string[] = [], told: string[] = [];
  env.proxy.rewrite = (req, answer) => {
    if (req.method !== 'POST' || answer.status !== 200 || !req.path.startsWith(`/v1/round/${roundId}/secagg/`)) return undefined;
    const step = stepOf(req.path);
    if (step === 'unmask') return undefined; // {status: "done"}: no request
    // The next step's request in the wire form (the participants come with the share-keys request).
    const q = decodeRequest(answer.body, { participants }) as unknown as Json | undefined;
    if (!q) throw new Error(`${req.path}: the answer does not decode`);
    if (step === 'advertise') { participants = [...(q.participants as string[])]; return undefined; }
    if (step !== 'masked-input' || deviceOf(req) !== participants[0]) return undefined;
    real = [...(q.survivors as string[])];
    told = real.filter((x) => x !== participants[1]);
    q.survivors = told;
    return { body: Buffer.from(encodeRequest(q as unknown as WireRequest, { participants })) };
  };
  // A budget that leaves room for a second upload: the refusal of the next round is then the distrust, not the budget.
  for (let i = 0; i < N; i++) await device(browser, 10);
  const mismatch = async (d: Device) => (await d.audit()).federated?.refusals.filter((r) => r.code === 'secagg_survivors_mismatch') ?? [];
  const victim = await waitFor(async () => { for (const d of devices) if ((await mismatch(d)).length > 0) return d; return null; }, 200_000, 'a survivors mismatch refusal')
    .catch((e: unknown) => { throw new Error(`${(e as Error).message}\n${env.agg.stderr().slice(-2000)}`); });
  expect(told.length, 'the victim was told one survivor fewer').toBe(real.length - 1);
  expect(real.length).toBe(N);
  // The version the round published states the real set, signed.
  const manifest = (await (await fetch(`${env.agg.url}/v1/model/versions/2/manifest.json`)).json()) as { hyperParameters: { federated: { round: number; secagg: { survivors: number; survivorsSha256: string } } } };
  expect(manifest.hyperParameters.federated).toMatchObject({ round: roundId, secagg: { survivors: N, survivorsSha256: createHash('sha256').update(JSON.stringify(real)).digest('hex') } });
  const first = (await mismatch(victim))[0]!;
  expect(first.round).toBe(roundId);
  expect(first.reason).toMatch(new RegExp(`^secure aggregation: version 2, published from round ${roundId}, was summed over ${N} survivors \\(SHA-256 [0-9a-f]{16}…\\), not the ${N - 1} this device was asked to unmask for`));
  // It is the device that was lied to: its unmask body is the one the proxy saw under the victim's credential.
  const a = await victim.audit();
  const sentUnmask = posts(a).filter((e) => e.url.endsWith(`/v1/round/${roundId}/secagg/unmask`)).map((e) => Buffer.from(e.body, 'base64'));
  const victimUnmask = env.proxy.requests.filter((r) => r.method === 'POST' && r.path === `/v1/round/${roundId}/secagg/unmask` && deviceOf(r) === participants[0]);
  expect(victimUnmask.length).toBeGreaterThan(0);
  expect(sentUnmask.some((b) => b.equals(victimUnmask[0]!.body))).toBe(true);
  // The next secure-aggregation round: refused by the victim (nothing sent to it), taken by the others, who saw no mismatch.
  const later = await waitFor(async () => (await mismatch(victim)).find((r) => r.round > roundId) ?? null, 60_000, 'the next round refused');
  expect(later.reason).toMatch(new RegExp(`^no secure aggregation with this aggregator: in round ${roundId}, version 2`));
  expect(posts(await victim.audit()).some((e) => e.url.includes(`/v1/round/${later.round}/`))).toBe(false);
  const others = devices.filter((d) => d !== victim);
  await waitFor(async () => {
    for (const d of others) if (!posts(await d.audit()).some((e) => e.url.includes(`/v1/round/${later.round}/secagg/advertise`))) return null;
    return true;
  }, 60_000, 'the others to advertise in the next round');
  for (const d of others) expect((await d.audit()).federated!.refusals, 'an honest device').toEqual([]);
});
