/**
 * One round of the real SecAgg+ protocol (`@perch/learn/secagg`) in memory, over given vectors in Z_(2^bits):
 * every device and the server run their state machines through the four steps (advertise keys, share keys,
 * masked input, unmasking), as the package's test harness does, with no dropouts. Every message is serialised to
 * JSON, as it would travel, to count the bytes each device sends and receives. The simulator's ddg rounds sum the
 * devices' vectors without masks (the masks cancel exactly); `--secagg-devices` runs this on part of one round to
 * check that the unmasked sum is bit-identical and to measure the protocol's cost.
 */
import { graphForCohort, SecAggDevice, SecAggServer, type DevicePolicy } from '@perch/learn/secagg';

export interface SecAggRun {
  /** Σ of the vectors mod 2^bits, as the server unmasked it. */
  sum: Uint32Array;
  devices: number;
  k: number;
  t: number;
  /** Wall time of the whole protocol in this process (every device and the server, one after another). */
  seconds: number;
  /** Of which the server's closing of steps and unmasking. */
  serverSeconds: number;
  /** Mean JSON bytes per device, sent and received, over the four steps. */
  bytesUp: number;
  bytesDown: number;
}

/** Bytes of a message as JSON (ASCII: ids, base64url and numbers). */
const size = (m: unknown): number => JSON.stringify(m).length;

/** Runs the protocol over `vectors` (length d, values < 2^bits) and returns the unmasked sum and its cost. */
export async function secaggSum(vectors: readonly Uint32Array[], bits: number, roundId: string, seed: string): Promise<SecAggRun> {
  const n = vectors.length, d = vectors[0]?.length ?? 0;
  if (n < 3) throw new RangeError(`secure aggregation needs at least 3 devices, got ${n}`);
  const { k, t } = graphForCohort(n);
  const policy: DevicePolicy = { minCohort: n, minDegree: k, minThreshold: t };
  const ids = vectors.map((_, i) => `device-${String(i).padStart(5, '0')}`);
  const up = new Map<string, number>(ids.map((id) => [id, 0])), down = new Map<string, number>(ids.map((id) => [id, 0]));
  const add = (m: Map<string, number>, id: string, msg: unknown): void => void m.set(id, m.get(id)! + size(msg));
  const t0 = performance.now();
  let serverMs = 0;
  const server = SecAggServer.open({ roundId, bits, d, minCohort: n, k, t, seed });
  const devices = ids.map((id) => SecAggDevice.create(id, policy));
  const fail = (step: string, id: string, r: { reason: string; detail?: string }): never => { throw new Error(`secagg ${step} (${id}): ${r.reason}${r.detail ? `: ${r.detail}` : ''}`); };
  const toServer = async (id: string, step: string, msg: unknown): Promise<void> => {
    add(up, id, msg);
    const s0 = performance.now();
    const a = await server.receive(msg);
    serverMs += performance.now() - s0;
    if (!a.ok) fail(`${step}, server`, id, a);
  };
  const timed = async <T>(f: () => Promise<T> | T): Promise<T> => { const s0 = performance.now(); const r = await f(); serverMs += performance.now() - s0; return r; };

  type Reply = { ok: true; message: unknown } | { ok: false; reason: string; detail?: string };
  /** One step: every device answers its request from the server, and the server receives the answer. */
  const step = async <Req>(name: string, requestOf: (id: string) => Req, answer: (dv: SecAggDevice, req: Req, i: number) => Promise<Reply>): Promise<void> => {
    for (const [i, dv] of devices.entries()) {
      const req = requestOf(ids[i]!);
      add(down, ids[i]!, req);
      const r = await answer(dv, req, i);
      if (!r.ok) fail(name, ids[i]!, r);
      else await toServer(ids[i]!, name, r.message);
    }
  };
  /** The server closes a step and hands out the next step's requests, one per device. */
  const close = async <Req>(name: string, f: () => Promise<Reply & { message?: Record<string, Req> }> | (Reply & { message?: Record<string, Req> })): Promise<Record<string, Req>> => {
    const r = await timed(f);
    if (!r.ok) fail(`close ${name}`, 'server', r);
    return r.ok ? r.message as Record<string, Req> : {};
  };

  const adv = server.advertiseRequest();
  await step('advertise-keys', () => adv, (dv, req) => dv.advertiseKeys(req));
  const shareReqs = await close('advertise-keys', () => server.closeAdvertise());
  await step('share-keys', (id) => shareReqs[id]!, (dv, req) => dv.shareKeys(req));
  const maskReqs = await close('share-keys', () => server.closeShareKeys());
  await step('masked-input', (id) => maskReqs[id]!, (dv, req, i) => dv.maskedInput(req, vectors[i]!));
  const unmaskReqs = await close('masked-input', () => server.closeMaskedInput());
  await step('unmasking', (id) => unmaskReqs[id]!, (dv, req) => dv.unmask(req));
  const fin = await timed(() => server.finish());
  if (!fin.ok) fail('finish', 'server', fin);
  const result = fin.ok ? fin.message : undefined;
  if (!result || result.survivors.length !== n) throw new Error(`secagg: ${result?.survivors.length ?? 0} of ${n} devices survived with no dropout`);
  const mean = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0) / n;
  return { sum: result.sum, devices: n, k: Math.min(k, n - 1), t, seconds: (performance.now() - t0) / 1000, serverSeconds: serverMs / 1000, bytesUp: mean(up), bytesDown: mean(down) };
}
