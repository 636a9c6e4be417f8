/**
 * Upload load for the aggregator benchmarks: pre-built ~100 kB updates with a unique idempotency key each, sent
 * over keep-alive HTTP/1.1 to one or several instances (round robin), in a closed loop (N connections, each
 * sends when its last answer came) or an open loop (a fixed start schedule of R per second, whatever the answers
 * do, like many independent devices).
 */
import { Agent, request } from 'node:http';
import { makeUpdate } from '@perch/learn/client';
import { gaussian } from '@perch/learn/privacy';
import { requireLayout } from '@perch/learn/update';
import { Rng } from '@perch/model/rng';

export interface Target { hostname: string; port: number; agent: Agent; openAgent: Agent }

export function targetOf(base: string, sockets: number): Target {
  const { hostname, port } = new URL(base);
  return { hostname, port: Number(port), agent: new Agent({ keepAlive: true, maxSockets: sockets }), openAgent: new Agent({ keepAlive: true, maxSockets: 1024 }) };
}

export function call(t: Target, method: string, path: string, body?: Uint8Array, via: Agent = t.agent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: t.hostname, port: t.port, method, path, agent: via, headers: body ? { 'content-type': 'application/vnd.perch.update.v1', 'content-length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface RoundInfoLite { roundId: number; baseVersion: number; clipBound: number; noiseMultiplier: number; maxClientWeight: number; layout: { tensors: { name: string; shape: number[] }[] } }

/** Uploads for the round; `payload(i)` is upload i with its own idempotency key. */
export function uploads(info: RoundInfoLite): { bytes: number; payload: (i: number) => Uint8Array } {
  const layout = requireLayout(info.layout);
  const rng = new Rng(7), g = gaussian(rng);
  const pool = Array.from({ length: 16 }, () => makeUpdate(Float32Array.from({ length: layout.size }, () => 0.01 * g()), layout, {
    roundId: info.roundId, baseVersion: info.baseVersion, clipBound: info.clipBound, noiseMultiplier: info.noiseMultiplier, examples: 10, maxClientWeight: info.maxClientWeight, rng,
  }).bytes);
  return {
    bytes: pool[0]!.length,
    payload(i) {
      const b = new Uint8Array(pool[i % pool.length]!);
      const dv = new DataView(b.buffer);
      dv.setUint32(28, i + 1, true); // unique idempotency key per upload
      dv.setUint32(32, 0x9e3779b9, true);
      return b;
    },
  };
}

/** Uploads `count` (numbered from `first`) over `concurrency` connections spread over `targets`; latencies in ms. */
export async function closedLoop(targets: Target[], roundId: number, payload: (i: number) => Uint8Array, first: number, count: number, concurrency: number, latencies: number[]): Promise<void> {
  let next = first;
  const end = first + count;
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    const t = targets[w % targets.length]!;
    while (next < end) {
      const i = next++;
      const t0 = performance.now();
      const r = await call(t, 'POST', `/v1/round/${roundId}/updates`, payload(i));
      latencies.push(performance.now() - t0);
      if (r.status !== 202) throw new Error(`upload ${i}: ${r.status} ${r.text}`);
    }
  }));
}

/** Starts upload `first + k` at k / rate seconds (round robin over `targets`); latencies in ms, the most in flight. */
export async function openLoop(targets: Target[], roundId: number, payload: (i: number) => Uint8Array, first: number, count: number, rate: number, latencies: number[]): Promise<{ seconds: number; maxInFlight: number }> {
  let inFlight = 0, maxInFlight = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    let started = 0, done = 0;
    const pump = (): void => {
      const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (started < due) {
        const i = first + started;
        const t = targets[started % targets.length]!;
        started++;
        inFlight++; maxInFlight = Math.max(maxInFlight, inFlight);
        const ts = performance.now();
        call(t, 'POST', `/v1/round/${roundId}/updates`, payload(i), t.openAgent).then((r) => {
          latencies.push(performance.now() - ts);
          inFlight--;
          if (r.status !== 202) return reject(new Error(`open-loop upload ${i}: ${r.status} ${r.text}`));
          if (++done === count) resolve();
        }, reject);
      }
      if (started < count) setTimeout(pump, 1);
    };
    pump();
  });
  return { seconds: (performance.now() - t0) / 1000, maxInFlight };
}

/** The p-quantile of `xs` (sorted in place). */
export function quantile(xs: number[], p: number): number {
  xs.sort((a, b) => a - b);
  return xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
}

export function closeTargets(targets: Target[]): void {
  for (const t of targets) { t.agent.destroy(); t.openAgent.destroy(); }
}
