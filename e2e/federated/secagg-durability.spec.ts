// kill -9 of the aggregator at each step of a secure-aggregation round, and forget() in the middle of one, with five
// Chromium contexts as the devices (the real aggregator behind the recording proxy, `--secagg on`, k = 6 so the
// complete graph, t = 3, min cohort 4; the pages pin a matching `federated.secagg` policy and a budget for the file's
// six rounds). The same five devices take part in one round per test, each opened by the previous round's close:
// - rounds 1–5 (KILLS): the proxy lets two devices' messages of the step through (advertise, share keys, masked
//   input, unmask) and holds the others'; once the two are committed (read from the database) the aggregator is
//   killed with SIGKILL and restarted on the same database and port; the devices it cut off re-send, then the held
//   messages go on. The round must publish exactly the release of the five devices' plain sum (their encoded
//   vectors, read from the workers), or, only if the stage's deadline left no time after the restart, fail cleanly
//   with a reason (nothing published, the next round open on the same version). In round 5 the aggregator stays down
//   past the masked-input deadline: the round must fail that way, and every device be told so. What the aggregator
//   stored at the moment of the kill and everything it logged must hold no device's plain vector (its stored masked
//   vectors are not them).
// - round 6: one device calls forget() once its share-keys message is answered (before its worker sees the answer).
//   It must send nothing more (no masked input, no unmask), spend no ε on the round, keep no event or log of it, and
//   the round still publishes the release of the four others' sum.
// No page sees an uncaught error or refuses a round.
import { expect, test, type Route } from '@playwright/test';
import type { RoundDescription } from '@perch/learn/client';
import { pack, packedLength, unpack } from '@perch/learn/ddg';
import { trainedBy } from '@perch/learn/privacy';
import { toB64 } from '@perch/learn/secagg';
import type { AuditReport } from '@perch/sdk';
import { openDatabase } from '@perch/aggregator';
import { kill9, startAggregator, waitFor, type Aggregator } from './support/aggregator.js';
import { consentAll, historyFor, openDevice, type Device } from './support/device.js';
import { keptInput, secaggAggregatorArgs, stepFromSum, weightsOf } from './support/secagg.js';
import { federatedSuite } from './support/suite.js';

const N = 5;
// Masked input is the shortest stage: the forget round waits for its deadline (the device that forgot never sends).
const ARGS = secaggAggregatorArgs({ devices: N, t: 3, roundSeconds: 600, stageSeconds: '600,60,30,60' });
const SECAGG_POLICY = { minCohort: 4, minDegree: 4, minThreshold: 3 };
const BUDGET = 20;
type Step = 'advertise' | 'share-keys' | 'masked-input' | 'unmask';
/**
 * One round each: the step at which the aggregator is killed, and whether it stays down until that stage's deadline
 * has passed (it then closes the stage at start-up with the two masked inputs it holds, below the min cohort).
 */
const KILLS: { step: Step; pastDeadline?: true }[] = [{ step: 'advertise' }, { step: 'share-keys' }, { step: 'masked-input' }, { step: 'unmask' }, { step: 'masked-input', pastDeadline: true }];
const STAGE: Record<Step, string> = { advertise: 'advertise-keys', 'share-keys': 'share-keys', 'masked-input': 'masked-input', unmask: 'unmasking' };
const TABLE: Record<Step, string> = { advertise: 'secagg_devices', 'share-keys': 'secagg_shares', 'masked-input': 'secagg_masked', unmask: 'secagg_unmask' };
/** Messages of the step committed before the kill; the proxy holds the other devices' until the restart. */
const BEFORE_KILL = 2;
/** A stage deadline this long after the restart leaves the devices ample time to re-send: the round must publish. */
const SLACK_MS = 20_000;
/** The round of the forget() test, after those of KILLS. */
const forgetRound = (): number => firstRound + KILLS.length;
/** The device that calls forget() in the last round. */
const FORGETS = 4;

// The aggregator's file as it is, read through the aggregator's own SQLite driver.
interface Db { prepare(sql: string): { all(...p: unknown[]): Record<string, unknown>[]; get(...p: unknown[]): Record<string, unknown> | undefined }; close(): void }

test.describe.configure({ mode: 'serial' });

const devices: Device[] = [];
const env = federatedSuite(ARGS, devices, 'info');
/** Every aggregator process of the file (their logs are checked). */
const aggregators: Aggregator[] = [];
const pageErrors: string[] = [];
let firstRound = 0;

type PW = Window & { perch: { forget(): Promise<unknown>; exportData(): Promise<{ events: unknown[] }> } };

function query<T>(f: (db: Db) => T): T {
  const db = openDatabase(env.db, { readonly: true }) as unknown as Db;
  try { return f(db); } finally { db.close(); }
}
const stageOf = (roundId: number) => query((db) => db.prepare('SELECT stage, deadline, reason FROM secagg_rounds WHERE round_id = ?').get(roundId)) as { stage: string; deadline: number; reason: string | null } | undefined;
const count = (table: string, roundId: number): number => query((db) => db.prepare(`SELECT count(*) AS n FROM ${table} WHERE round_id = ?`).get(roundId)!.n as number);
type Stored = { table: string; row: Record<string, unknown> }[];
/** Every row of every table. */
const snapshot = (): Stored => query((db) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()
  .flatMap((t) => db.prepare(`SELECT * FROM ${String(t.name)}`).all().map((row) => ({ table: String(t.name), row }))));

const health = async (): Promise<{ modelVersion: number }> => (await fetch(`${env.agg.url}/health`)).json() as never;
const currentRound = async (): Promise<RoundDescription> => (await fetch(`${env.agg.url}/v1/round`)).json() as never;

/** A waitFor that failed, with what the devices and the aggregator were doing. */
async function explained<T>(p: Promise<T>): Promise<T> {
  return p.catch(async (e: unknown) => {
    const states = await Promise.all(devices.map((d) => d.audit().then((a) => a.federated?.state ?? '-', () => 'gone')));
    const seen = env.proxy.requests.slice(-30).map((r) => `${r.method} ${r.path} ${r.status ?? '-'}`);
    throw new Error(`${(e as Error).message}\ndevice states: ${JSON.stringify(states)}\nproxy saw:\n${seen.join('\n')}\naggregator stderr: ${env.agg.stderr().slice(-2000)}`);
  });
}

async function openRound(roundId: number): Promise<RoundDescription> {
  const r = await explained(waitFor(async () => { const x = await currentRound(); return x.roundId >= roundId && x; }, 240_000, `round ${roundId} to open`));
  expect(r.roundId, 'rounds are numbered one after the other').toBe(roundId);
  return r;
}

async function outcomeOf(round: RoundDescription): Promise<'published' | 'failed'> {
  return explained(waitFor(async () => {
    if (stageOf(round.roundId)?.stage === 'failed') return 'failed' as const;
    return (await health()).modelVersion > round.baseVersion && 'published' as const;
  }, 180_000, `round ${round.roundId} to publish or fail`));
}

/**
 * Proxy gates: in round firstRound + i, the messages of KILLS[i].step from the first BEFORE_KILL devices (told apart by
 * their bytes: a re-sent message is the same bytes) go through; the others wait for `release`. The forget round
 * waits at advertise for its test to start (the forget erases the device's log, which the previous test reads),
 * and the round after it for the end of the file (its test reads what the devices spent).
 */
interface Gate {
  step: Step; pass: number; passed: Set<string>; release(): void; released: Promise<void>;
  /** Set once the aggregator is back: the passed messages that reach it again from then on (the devices' re-sends). */
  restarted: boolean; resent: Set<string>;
}
const gates = new Map<number, Gate>();
function gate(step: Step, pass: number): Gate {
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  return { step, pass, passed: new Set(), release, released, restarted: false, resent: new Set() };
}

/** The forget() of the last round, done from the route of the device's share-keys answer. */
const forgot: { auth?: string; before?: AuditReport; at?: number; done: Promise<void>; resolve(): void; reject(e: unknown): void } = (() => {
  const o = {} as { done: Promise<void>; resolve(): void; reject(e: unknown): void };
  o.done = new Promise<void>((res, rej) => { o.resolve = res; o.reject = rej; });
  return o;
})();

/** Holds the device's share-keys answer of the forget round until its page called forget(). */
async function forgetAfterShareKeys(route: Route): Promise<void> {
  const req = route.request();
  if (req.method() !== 'POST' || !req.url().includes(`/v1/round/${forgetRound()}/secagg/`) || forgot.auth !== undefined) {
    await route.continue().catch(() => undefined);
    return;
  }
  try {
    forgot.auth = req.headers().authorization ?? '';
    const answer = await route.fetch({ timeout: 60_000 });
    const d = devices[FORGETS]!;
    forgot.before = await d.audit();
    forgot.at = Date.now();
    await d.page.evaluate(() => (window as unknown as PW).perch.forget());
    await route.fulfill({ response: answer });
    forgot.resolve();
  } catch (e) { forgot.reject(e); }
}

test.beforeAll(async ({ browser }, info) => {
  info.setTimeout(240_000);
  aggregators.push(env.agg);
  const round = await currentRound();
  firstRound = round.roundId;
  for (const [i, k] of KILLS.entries()) gates.set(firstRound + i, gate(k.step, BEFORE_KILL));
  gates.set(forgetRound(), gate('advertise', 0));
  gates.set(forgetRound() + 1, gate('advertise', 0)); // released only when the file ends
  env.proxy.hold = (r) => {
    const m = /^\/v1\/round\/(\d+)\/secagg\/([a-z-]+)$/.exec(r.path);
    const g = m && r.method === 'POST' ? gates.get(Number(m[1])) : undefined;
    if (!g || m![2] !== g.step) return undefined;
    const msg = r.body.toString('base64');
    if (g.passed.has(msg) || g.passed.size < g.pass) {
      if (g.restarted && g.passed.has(msg)) g.resent.add(msg);
      g.passed.add(msg);
      return undefined;
    }
    return g.released;
  };
  const config = {
    consent: consentAll, mode: 'federated', aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys, modelUrl: `${env.proxy.url}/v1/model/manifest.json`,
    dbName: 'perch-fed', __test: { keepSecAggInput: true },
    federated: { minIntervalMs: 300, idleAfterMs: 0, epsilonBudget: BUDGET, maxUploadDelayMs: 500, minCohort: 4, trainable: trainedBy(round.local), secagg: SECAGG_POLICY },
  };
  for (let i = 0; i < N; i++) {
    const d = await openDevice(browser, env.sdk, config, historyFor(i + 1));
    const uncaught = (where: string) => (m: { type(): string; text(): string }) => { if (m.type() === 'error' && /uncaught/i.test(m.text())) pageErrors.push(`device ${i} ${where}: ${m.text()}`); };
    d.page.on('pageerror', (e) => pageErrors.push(`device ${i}: ${e.message}`));
    d.page.on('console', uncaught('page'));
    for (const w of d.page.workers()) w.on('console', uncaught('worker'));
    d.page.on('worker', (w) => w.on('console', uncaught('worker')));
    devices.push(d);
  }
  await devices[FORGETS]!.context.route('**/secagg/share-keys', forgetAfterShareKeys);
});

test.afterAll(() => { for (const g of gates.values()) g.release(); });

/** Places in `stored` or in the logs that hold one of the plain vectors, and masked vectors close to one. */
function plainVectorLeaks(round: RoundDescription, plain: Uint32Array[], stored: Stored, logs: string): string[] {
  const s = round.secagg!;
  const packed = plain.map((v) => Buffer.from(pack(v, s.bits)));
  const needles = packed.flatMap((p) => [p.subarray(0, 64), p.subarray(p.length >> 1, (p.length >> 1) + 64)]);
  const texts = packed.flatMap((p) => [toB64(p.subarray(0, 48)), p.subarray(0, 48).toString('base64'), p.subarray(0, 32).toString('hex')])
    .concat(plain.map((v) => Array.from(v.subarray(0, 8)).join(',')));
  const out: string[] = [];
  for (const { table, row } of stored) {
    for (const [col, v] of Object.entries(row)) {
      if (Buffer.isBuffer(v) && needles.some((n) => v.includes(n))) out.push(`${table}.${col} holds a plain vector's bytes`);
      if (typeof v === 'string' && texts.some((t) => v.includes(t))) out.push(`${table}.${col} holds a plain vector's text`);
    }
    const y = row.y;
    if (table === 'secagg_masked' && row.round_id === round.roundId && Buffer.isBuffer(y) && y.length > 0) {
      if (y.length !== packedLength(s.d, s.bits)) out.push(`a stored masked vector of ${y.length} bytes`);
      const ys = unpack(new Uint8Array(y), s.bits, s.d);
      plain.forEach((x, i) => {
        let same = 0;
        for (let j = 0; j < s.d; j++) if (ys[j] === x[j]) same++;
        // A masked vector is uniform: about d / 2^bits values equal the plain ones by chance.
        if (same > s.d / 100) out.push(`device ${row.device_id}'s stored masked vector equals device ${i}'s plain vector in ${same} of ${s.d} values`);
      });
    }
  }
  for (const line of logs.split('\n')) {
    if (line.length >= 2000 || /[A-Za-z0-9_-]{200}/.test(line) || texts.some((t) => line.includes(t))) out.push(`log line: ${line.slice(0, 200)}`);
  }
  return out;
}

const logs = (): string => aggregators.map((a) => a.stdout() + a.stderr()).join('\n');
const maskedRows = (stored: Stored, roundId: number): number => stored.filter((r) => r.table === 'secagg_masked' && r.row.round_id === roundId && Buffer.isBuffer(r.row.y) && (r.row.y as Buffer).length > 0).length;
const stepPosts = (a: AuditReport, roundId: number, step: string) => a.outbound.filter((e) => e.method === 'POST' && new URL(e.url).pathname === `/v1/round/${roundId}/secagg/${step}`);
/** How many devices saw the aggregator go away during `step` of a round (a 502 or a failed fetch in their log). */
const cutOff = async (roundId: number, step: string): Promise<number> =>
  (await Promise.all(devices.map(async (d) => stepPosts(await d.audit(), roundId, step).some((e) => e.status === 502 || e.error)))).filter(Boolean).length;

/**
 * The round published the release of its survivors' plain sum, and the next round opened on the new version. The
 * survivors are `candidates`, or as many of them as the published version states when some dropped out after the
 * restart (a device whose re-sent message came after its stage closed): the step must then be the release of
 * the plain sum of exactly one subset of that size, which is found by trying each.
 */
async function expectPublished(round: RoundDescription, candidates: number[]): Promise<void> {
  const inputs = new Map<number, Uint32Array>();
  for (const i of candidates) {
    const v = await keptInput(devices[i]!, round.roundId);
    expect(v, `device ${i} kept its encoded vector of round ${round.roundId}`).toBeTruthy();
    inputs.set(i, v!);
  }
  const [before, after] = [await weightsOf(env.agg.url, round.baseVersion), await weightsOf(env.agg.url, round.baseVersion + 1)];
  const fed = ((after.manifest.hyperParameters as Record<string, unknown>).federated as Record<string, unknown>);
  expect(fed.round).toBe(round.roundId);
  const count = (fed.secagg as { survivors: number }).survivors;
  expect(count, 'survivors: at least the min cohort, at most every device').toBeGreaterThanOrEqual(4);
  expect(count).toBeLessThanOrEqual(candidates.length);
  const subsets = (xs: number[], k: number): number[][] => (k === 0 ? [[]] : xs.flatMap((x, j) => subsets(xs.slice(j + 1), k - 1).map((r) => [x, ...r])));
  const matches = subsets(candidates, count).filter((sub) => {
    const { worst, moved, size } = stepFromSum(round, sub.map((i) => inputs.get(i)!), before.weights, after.weights);
    return moved > size / 2 && worst < 1e-6;
  });
  expect(matches, 'published step = release of the survivors\' plain sum, for exactly one survivor set').toHaveLength(1);
  const survivors = matches[0]!;
  const participants = (fed.secagg as { participants: number }).participants;
  expect(participants >= survivors.length && participants <= N, `participants ${participants}`).toBe(true);
  for (const i of survivors) {
    const a = await devices[i]!.audit();
    const unmasked = stepPosts(a, round.roundId, 'unmask');
    expect(unmasked.some((e) => e.status === 200), `device ${i} finished its part of round ${round.roundId}: ${JSON.stringify({ state: a.federated?.state, unmask: unmasked.map(({ body: _, ...e }) => e), last: a.outbound.slice(-4).map(({ body: _, ...e }) => e) })}`).toBe(true);
  }
  const next = await openRound(round.roundId + 1);
  expect(next.baseVersion).toBe(round.baseVersion + 1);
}

/** Whatever the outcome: no uncaught error on a page, no refusal, and no masked vector of the round left stored. */
async function expectClean(round: RoundDescription): Promise<void> {
  expect(pageErrors).toEqual([]);
  for (const [i, d] of devices.entries()) {
    const a = await d.audit();
    expect(a.federated?.refusals ?? [], `device ${i}`).toEqual([]);
    expect(a.federated?.state ?? '', `device ${i}`).not.toMatch(/^error/);
  }
  expect(query((db) => db.prepare('SELECT count(*) AS n FROM secagg_masked WHERE round_id = ? AND length(y) > 0').get(round.roundId)!.n), 'masked vectors left after the round').toBe(0);
}

for (const [i, { step, pastDeadline }] of KILLS.entries()) {
  const what = pastDeadline ? 'down past the stage\'s deadline: the round fails cleanly' : 'the restarted aggregator finishes the round with the browsers, or fails it cleanly';
  test(`kill -9 at ${step}, ${what}; no plain vector stored or logged`, async () => {
    test.setTimeout(300_000);
    const roundId = firstRound + i;
    const round = await openRound(roundId);
    await waitFor(async () => count(TABLE[step], roundId) >= BEFORE_KILL, 240_000, `${BEFORE_KILL} ${step} messages of round ${roundId} committed`);
    const at = stageOf(roundId)!;
    expect(at.stage, 'the round is at that step when the aggregator is killed').toBe(STAGE[step]);
    expect(count(TABLE[step], roundId), 'the other devices\' messages are held').toBe(BEFORE_KILL);

    const killedAt = Date.now();
    await kill9(env.agg);
    const stored = snapshot();
    if (pastDeadline) await new Promise((r) => setTimeout(r, Math.max(0, at.deadline + 1000 - Date.now())));
    env.agg = await startAggregator(env.db, [...ARGS, '--port', new URL(env.agg.url).port], 'info');
    aggregators.push(env.agg);
    const upAt = Date.now();
    // The devices the kill cut off re-send first, then the held messages go on (the order this file's header
    // describes). The other order is a different case: an advertise re-sent after its stage closed is refused by
    // design (by then its keys have gone out to the neighbours, who could replay them for the device's credential),
    // so those devices would drop out of the round by the luck of their retry backoff.
    const g = gates.get(roundId)!;
    g.restarted = true;
    // (held devices may have been cut off too when the aggregator stayed down long: only the passed ones re-send here)
    const cut = Math.min(g.passed.size, await cutOff(roundId, step));
    await waitFor(async () => g.resent.size >= cut, 30_000, `the ${cut} device(s) cut off by the kill re-sent their ${step} message to the restarted aggregator`);
    g.release();
    const outcome = await outcomeOf(round);
    console.log(`kill -9 at ${step}${pastDeadline ? ' (past the deadline)' : ''}: down ${upAt - killedAt} ms, stage deadline ${at.deadline - upAt} ms after the restart; round ${roundId} ${outcome} ${Date.now() - upAt} ms after it`);

    // What the aggregator held when it died, and all it logged: no device's plain vector.
    const plain: Uint32Array[] = [];
    for (const d of devices) plain.push((await keptInput(d, roundId))!);
    expect(plain.every(Boolean)).toBe(true);
    if (step === 'masked-input') expect(maskedRows(stored, roundId), 'masked vectors stored at the kill').toBe(BEFORE_KILL);
    if (step === 'unmask') expect(maskedRows(stored, roundId), 'masked vectors stored at the kill').toBe(N);
    expect(logs()).toContain('secagg: ');
    expect(plainVectorLeaks(round, plain, stored, logs())).toEqual([]);
    // The devices whose messages were through when the aggregator died lost that exchange and sent it again.
    if (step !== 'unmask') {
      expect(await cutOff(roundId, step), 'devices that saw the aggregator go away').toBeGreaterThan(0);
    }

    if (pastDeadline) {
      expect(outcome).toBe('failed');
      expect(stageOf(roundId)!.reason).toMatch(/^masked-input: cohort-too-small/);
      // Every device re-sent its masked input (after a backoff of up to 8 s) and was answered that the round is over.
      const last = async (): Promise<unknown[]> => Promise.all(devices.map(async (d) => stepPosts(await d.audit(), roundId, step).at(-1)?.status));
      await waitFor(async () => (await last()).every((st) => st === 410), 30_000, 'every device\'s masked input answered 410')
        .catch(async (e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(await last())}`); });
    }
    if (outcome === 'failed') {
      if (!pastDeadline) expect(at.deadline - upAt, 'a failure only when the stage had no time left after the restart').toBeLessThan(SLACK_MS);
      expect(stageOf(roundId)!.reason).toBeTruthy();
      const next = await openRound(roundId + 1);
      expect(next.baseVersion).toBe(round.baseVersion);
      expect((await fetch(`${env.agg.url}/v1/model/versions/${round.baseVersion + 1}/manifest.json`)).status).toBe(404);
    } else {
      await expectPublished(round, devices.map((_, j) => j));
    }
    await expectClean(round);
  });
}

test('forget() in the middle of a round: the device sends nothing more and keeps nothing; the others\' round publishes', async () => {
  test.setTimeout(300_000);
  const roundId = forgetRound();
  const round = await openRound(roundId);
  gates.get(roundId)!.release();
  const d = devices[FORGETS]!;
  await Promise.race([forgot.done, new Promise((_, rej) => setTimeout(() => rej(new Error('no share-keys answer to forget after')), 240_000))]);
  expect(forgot.auth, 'the device had its credential (it advertised)').toMatch(/\S/);
  // The worker got its share-keys answer after the erase, and ended its part of the round.
  const after = await waitFor(async () => { const a = await d.audit(); return !/^secure aggregation: /.test(a.federated?.state ?? '') && a; }, 60_000, 'the device to end its part');
  expect(await d.page.evaluate(async () => (await indexedDB.databases()).map((x) => x.name))).not.toContain('perch-fed');
  expect((await d.page.evaluate(() => (window as unknown as PW).perch.exportData())).events).toEqual([]);
  expect(after.storage.events).toBe(0);

  // The worst moment for the others' vectors: all four masked vectors stored.
  await waitFor(async () => count('secagg_masked', roundId) >= N - 1, 120_000, 'the other devices\' masked vectors');
  const stored = snapshot();
  const outcome = await outcomeOf(round);
  expect(outcome).toBe('published');
  // Nothing of the device's left the browser after the forget: no masked input, no unmask (the browser's own record
  // of its requests, and what reached the aggregator with its credential).
  const sentAfter = d.urls.filter((u) => /\/secagg\/(masked-input|unmask)$/.test(u) && u.includes(`/v1/round/${roundId}/`));
  expect(sentAfter).toEqual([]);
  const posted = env.proxy.requests.filter((r) => r.method === 'POST' && r.path.startsWith(`/v1/round/${roundId}/secagg/`));
  expect(posted.filter((r) => r.headers.authorization === forgot.auth).map((r) => r.path)).toEqual([`/v1/round/${roundId}/secagg/share-keys`]);
  expect(new Set(posted.filter((r) => r.path.endsWith('/masked-input')).map((r) => r.body.toString('base64'))).size).toBe(N - 1);
  // Its audit: no ε spent on this round, and no log of it (the log went with the data; nothing was sent since).
  const a = await d.audit();
  expect(a.privacy.secaggUploads).toBe(forgot.before!.privacy.secaggUploads);
  expect(a.privacy.epsilonServer).toBe(forgot.before!.privacy.epsilonServer);
  expect(a.outbound.filter((e) => e.method === 'POST' && e.url.includes(`/v1/round/${roundId}/`))).toEqual([]);
  expect(a.outbound.every((e) => e.ts >= forgot.at!)).toBe(true);
  const others = devices.map((_, i) => i).filter((i) => i !== FORGETS);
  await expectPublished(round, others);
  const plain: Uint32Array[] = [];
  for (const i of others) plain.push((await keptInput(devices[i]!, roundId))!);
  expect(maskedRows(stored, roundId)).toBe(N - 1);
  expect(plainVectorLeaks(round, plain, stored, logs())).toEqual([]);

  await expectClean(round);
});
