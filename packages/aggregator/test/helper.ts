/** Test helpers: a fresh database per test, an app built through `buildApp`, and update payloads. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { FastifyInstance } from 'fastify';
import { makeUpdate } from '@perch/learn/client';
import { encodeUpdate, requireLayout, type Layout, type UpdatePayload } from '@perch/learn/update';
import { gaussian } from '@perch/learn/privacy';
import { buildApp } from '../src/app.js';
import { defaultConfig, type AggregatorConfig, type RoundOverrides } from '../src/config.js';
import type { RoundInfo } from '../src/schemas/round.js';
import { Rng } from '@perch/model/rng';

export const PKG_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = join(PKG_ROOT, '..', '..');

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'perch-agg-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(dir: string, round: RoundOverrides = {}, over: Partial<AggregatorConfig> = {}): AggregatorConfig {
  return defaultConfig({
    dbPath: join(dir, 'agg.db'),
    // Plain FedAvg (sgd, η = 1) unless a test says otherwise: published weights are then base + mean delta exactly.
    round: { minClients: 2, targetClients: 3, durationMs: 60_000, clipBound: 1, noiseMultiplier: 0, serverOptimizer: 'sgd', serverLearningRate: 1, ...round },
    rateLimit: { max: 10_000, timeWindowMs: 60_000 },
    noiseSeed: 1,
    ...over,
  });
}

export async function testApp(round: RoundOverrides = {}, over: Partial<AggregatorConfig> = {}): Promise<{ app: FastifyInstance; config: AggregatorConfig; close: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const config = testConfig(dir, round, over);
  const app = await buildApp({ config });
  return { app, config, close: async () => { await app.close(); cleanup(); } };
}

export async function roundInfo(app: FastifyInstance): Promise<RoundInfo> {
  return (await app.inject({ method: 'GET', url: '/v1/round' })).json() as RoundInfo;
}

export function layoutOf(info: RoundInfo): Layout {
  return requireLayout(info.layout);
}

/** A valid update for the round: a random delta of norm ≈ `norm`, through the real client pipeline. */
export function updateFor(info: RoundInfo, o: { seed?: number; norm?: number; examples?: number; rng?: Rng; delta?: Float32Array } = {}): { payload: UpdatePayload; bytes: Uint8Array } {
  const layout = layoutOf(info);
  const rng = o.rng ?? new Rng(o.seed ?? 1);
  let delta = o.delta;
  if (!delta) {
    const g = gaussian(rng);
    delta = Float32Array.from({ length: layout.size }, () => g());
    const n = Math.sqrt(delta.reduce((s, x) => s + x * x, 0));
    delta = delta.map((x) => (x * (o.norm ?? 0.5)) / n);
  }
  return makeUpdate(delta, layout, {
    roundId: info.roundId, baseVersion: info.baseVersion, clipBound: info.clipBound, noiseMultiplier: info.noiseMultiplier,
    examples: o.examples ?? 10, maxClientWeight: info.maxClientWeight, rng,
  });
}

export const reencode = (p: UpdatePayload): Uint8Array => encodeUpdate(p);

export function post(app: FastifyInstance, roundId: number, bytes: Uint8Array, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST', url: `/v1/round/${roundId}/updates`,
    headers: { 'content-type': 'application/vnd.perch.update.v1', ...headers }, payload: Buffer.from(bytes),
  });
}

export async function waitFor<T>(f: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Server processes a test file starts: `reap` (in afterEach) kills what is still running. */
export function childProcesses(): { children: ChildProcess[]; reap: () => void } {
  const children: ChildProcess[] = [];
  return { children, reap: () => { for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); } };
}

/** kill -9, and wait until the process is gone. */
export async function killed(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** GET /v1/round of a server over HTTP. */
export const roundAt = async (url: string): Promise<RoundInfo> => (await fetch(`${url}/v1/round`)).json() as Promise<RoundInfo>;
/** POSTs an update's bytes to a server over HTTP. */
export const uploadTo = (url: string, roundId: number, bytes: Uint8Array): Promise<Response> =>
  fetch(`${url}/v1/round/${roundId}/updates`, { method: 'POST', headers: { 'content-type': 'application/vnd.perch.update.v1' }, body: bytes as unknown as BodyInit });

/** Starts `src/server.ts` as a child process on a random port; resolves with its base URL once listening. */
export async function spawnServer(args: string[]): Promise<{ url: string; modelKey: { keyId: string; publicKey: string }; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PKG_ROOT, 'src', 'server.ts'), '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PERCH_AGG_LOG: 'warn' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const { url, modelKey } = await new Promise<{ url: string; modelKey: { keyId: string; publicKey: string } }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}: ${stderr}`)); });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{"event":"listening"')) return;
      clearTimeout(timer);
      const l = JSON.parse(line) as { address: string; modelKey: { keyId: string; publicKey: string } };
      resolve({ url: l.address, modelKey: l.modelKey });
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, modelKey, child, stop };
}
