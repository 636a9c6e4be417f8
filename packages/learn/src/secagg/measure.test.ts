// Cost figures, printed and never asserted (machines differ): the device's crypto for one round at n = 1000 with
// the default targets' k and d = 34,000 at 16 bits, and the server's unmasking for 1000 devices with 30 % dropping
// during masking at d = 34,000 (SECAGG_MEASURE_D to change it), all with the library's Web Crypto default (the bench
// group `secagg` measures the device in Chromium and the server with the aggregator's native backend). Off by
// default; run with
// PERCH_SECAGG_MEASURE=1 npx --yes pnpm@9.15.9 exec vitest run packages/learn/src/secagg/measure.test.ts
import { describe, expect, it } from 'vitest';
import { SecAggDevice } from './device.js';
import { chooseParams } from './params.js';
import { SecAggServer } from './server.js';
import { testVector } from './testing.js';
import { COMMIT_BYTES, ENVELOPE_BYTES, KEY_BYTES } from './messages.js';
import { SHARE_BYTES } from './shamir.js';
import { packedBytes } from './bytes.js';

const on = Boolean((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.PERCH_SECAGG_MEASURE);
const ms = (t0: number) => (performance.now() - t0).toFixed(0);

async function cohort(n: number, d: number, minCohort: number) {
  const server = SecAggServer.open({ roundId: 'm', bits: 16, d, minCohort });
  const ids = Array.from({ length: n }, (_, i) => `dev-${String(i).padStart(5, '0')}`);
  const devices = ids.map((id) => SecAggDevice.create(id, { minCohort }));
  for (const dv of devices) { const r = await dv.advertiseKeys(server.advertiseRequest()); if (!r.ok) throw new Error(r.reason); await server.receive(r.message); }
  const sk = await server.closeAdvertise();
  if (!sk.ok) throw new Error(sk.reason);
  return { server, ids, devices, shareReqs: sk.message };
}

describe.skipIf(!on)('secagg cost', () => {
  it('device crypto, n = 1000, d = 34,000 at 16 bits', async () => {
    const n = 1000, d = 34_000, { k, t } = chooseParams(n);
    const { server, ids, devices, shareReqs } = await cohort(n, d, 100);
    const me = devices[0]!, myNeighbours = shareReqs[ids[0]!]!.neighbours.map((p) => p.id);
    const t0 = performance.now();
    const mine = await me.shareKeys(shareReqs[ids[0]!]!);
    const tShare = performance.now() - t0;
    if (!mine.ok) throw new Error(mine.reason);
    await server.receive(mine.message);
    for (const v of myNeighbours) { const r = await devices[ids.indexOf(v)]!.shareKeys(shareReqs[v]!); if (!r.ok) throw new Error(r.reason); await server.receive(r.message); }
    const mk = server.closeShareKeys();
    if (!mk.ok) throw new Error(mk.reason);
    const x = testVector(d, 16, 1);
    const t1 = performance.now();
    const y = await me.maskedInput(mk.message[ids[0]!]!, x);
    const tMask = performance.now() - t1;
    expect(y.ok).toBe(true);
    console.log(`[secagg] device n=${n} k=${k} t=${t} d=${d} bits=16: share keys ${tShare.toFixed(0)} ms, masked input ${tMask.toFixed(0)} ms, total ${(tShare + tMask).toFixed(0)} ms`);
    // raw payload bytes up (README: message sizes; the wire form adds a few header bytes and k·2 index bytes):
    // keys, commitment + envelopes, the vector packed at its bit width, one share per neighbour
    console.log(`[secagg] device upload payload: ${2 * KEY_BYTES + COMMIT_BYTES + k * ENVELOPE_BYTES + packedBytes(d, 16) + k * SHARE_BYTES} bytes raw (plain vector alone ${packedBytes(d, 16)})`);
  }, 600_000);

  it('server unmasking, 1000 devices, 30 % dropping during masking', async () => {
    const n = 1000, d = Number((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.SECAGG_MEASURE_D ?? 34_000);
    const { server, ids, devices, shareReqs } = await cohort(n, d, 100);
    let t0 = performance.now();
    for (const id of ids) { const r = await devices[ids.indexOf(id)]!.shareKeys(shareReqs[id]!); if (!r.ok) throw new Error(r.reason); await server.receive(r.message); }
    console.log(`[secagg] all devices shared keys in ${ms(t0)} ms`);
    const mk = server.closeShareKeys();
    if (!mk.ok) throw new Error(mk.reason);
    const dropped = new Set(ids.filter((_, i) => i % 10 < 3));
    t0 = performance.now();
    for (const id of ids) {
      const r = await devices[ids.indexOf(id)]!.maskedInput(mk.message[id]!, testVector(d, 16, ids.indexOf(id) + 1));
      if (!r.ok) throw new Error(r.reason);
      if (!dropped.has(id)) await server.receive(r.message);
    }
    console.log(`[secagg] masked inputs in ${ms(t0)} ms`);
    const um = server.closeMaskedInput();
    if (!um.ok) throw new Error(um.reason);
    for (const [id, req] of Object.entries(um.message)) { const r = await devices[ids.indexOf(id)]!.unmask(req); if (!r.ok) throw new Error(r.reason); await server.receive(r.message); }
    const state = server.toJSON();
    const masks = state.survivors!.length + [...dropped].reduce((s, u) => s + state.neighbours![u]!.filter((v) => !dropped.has(v)).length, 0);
    t0 = performance.now();
    const fin = await server.finish();
    const tFinish = performance.now() - t0;
    expect(fin.ok).toBe(true);
    console.log(`[secagg] server finish n=${n} k=${state.k} t=${state.t} d=${d}: ${tFinish.toFixed(0)} ms for ${masks} masks (${state.survivors!.length} self, ${masks - state.survivors!.length} pairwise)`);
  }, 1_800_000);
});
