// Duplicate uploads and kill -9: browsers upload to an open round of the real aggregator; re-sending a
// browser's exact upload (same idempotency key) is counted once; the aggregator is killed with SIGKILL
// mid-round and restarted on the same SQLite file: every acknowledged browser upload is still there, the
// round resumes, and a later browser completes it (on the count: `--close-at-target on`).
import { expect, test } from '@playwright/test';
import type { AuditReport } from '@perch/sdk';
import { kill9, startAggregator, waitFor } from './support/aggregator.js';
import { consentAll, historyFor, openDevice, type Device } from './support/device.js';
import { federatedSuite } from './support/suite.js';

const ARGS = ['--min-clients', '2', '--target-clients', '3', '--round-seconds', '600', '--close-at-target', 'on', '--sampling', '1', '--noise', '5', '--clip', '1'];

const devices: Device[] = [];
const env = federatedSuite(ARGS, devices);

interface Round { roundId: number; baseVersion: number; accepted: number }
const round = async (): Promise<Round> => (await fetch(`${env.agg.url}/v1/round`)).json() as Promise<Round>;
const accepted = (a: AuditReport) => a.outbound.filter((e) => e.method === 'POST' && e.status === 202);
const keyOf = (b: Buffer): string => b.subarray(28, 44).toString('hex');
const resend = (roundId: number, body: Buffer) => fetch(`${env.agg.url}/v1/round/${roundId}/updates`, {
  method: 'POST', headers: { 'content-type': 'application/vnd.perch.update.v1', 'idempotency-key': `"${keyOf(body)}"` }, body: new Uint8Array(body),
});

test('a duplicate upload is counted once; kill -9 mid-round loses no acknowledged browser upload; the round resumes and publishes', async ({ browser }) => {
  test.setTimeout(300_000);
  const config = {
    consent: consentAll, mode: 'federated', aggregatorUrl: env.proxy.url, modelKeys: env.modelKeys, modelUrl: `${env.proxy.url}/v1/model/manifest.json`,
    // ε budget 3 at z = 2, q = 1 (≈ 2.4 per round): each device contributes to exactly one round, so no later
    // round can publish version 3 before device 0 is checked on version 2 (it did, in a CI run: version 9).
    dbName: 'perch-fed', federated: { minIntervalMs: 300, idleAfterMs: 0, maxUploadDelayMs: 500, epsilonBudget: 3, minCohort: 2 },
  };
  for (let i = 0; i < 2; i++) devices.push(await openDevice(browser, env.sdk, config, historyFor(10 + i)));
  const acked = await Promise.all(devices.map((d, i) => waitFor(async () => {
    const a = accepted(await d.audit());
    return a.length ? a : null;
  }, 90_000, `device ${i}'s acknowledged upload`)));
  const bodies = acked.map((a) => Buffer.from(a[0]!.body, 'base64'));
  const r1 = await round();
  expect(r1.accepted).toBe(2);

  // The same bytes with the same key again: the stored 2xx, marked as a replay, not counted twice.
  const dup = await resend(r1.roundId, bodies[0]!);
  expect(dup.status).toBe(202);
  expect(dup.headers.get('idempotent-replayed')).toBe('true');
  expect((await round()).accepted).toBe(2);

  // kill -9 with the round open, then a new process on the same database file.
  await kill9(env.agg);
  env.agg = await startAggregator(env.db, ARGS);
  env.proxy.target = env.agg.url;
  const r2 = await round();
  expect(r2.roundId).toBe(r1.roundId);
  expect(r2.baseVersion).toBe(r1.baseVersion);
  expect(r2.accepted).toBe(2);
  for (const b of bodies) {
    const r = await resend(r1.roundId, b);
    expect(r.status).toBe(202);
    expect(r.headers.get('idempotent-replayed')).toBe('true');
  }
  expect((await round()).accepted).toBe(2);

  // The earlier devices do not upload twice to the same round; a third device completes it.
  devices.push(await openDevice(browser, env.sdk, config, historyFor(12)));
  await waitFor(async () => ((await (await fetch(`${env.agg.url}/health`)).json()) as { modelVersion: number }).modelVersion === 2, 90_000, 'version 2 after the restart');
  const posts = env.proxy.requests.filter((r) => r.method === 'POST' && r.status === 202);
  expect(posts.length).toBe(3);
  let last: AuditReport | undefined;
  await waitFor(async () => (last = await devices[0]!.audit()).model.version === '2', 60_000, 'device 0 on version 2')
    .catch((e: Error) => { throw new Error(`${e.message}; device 0: model ${JSON.stringify(last?.model)}, federated ${JSON.stringify(last?.federated)}, last requests ${JSON.stringify(last?.outbound.slice(-3).map(({ body: _, ...r }) => r))}`); });
});
