/**
 * A device of a secure-aggregation round over HTTP, for tests: `SecAggDevice` (@perch/learn/secagg) and
 * `encodeDdg` (@perch/learn/ddg) as the SDK worker would run them, through `app.inject` or `fetch`. Each step
 * re-sends the same message while the aggregator answers 202 (the stage is still open).
 */
import type { FastifyInstance } from 'fastify';
import { decodeVector, SecAggDevice, type DevicePolicy, type MaskedInputRequest, type ShareKeysRequest, type UnmaskRequest } from '@perch/learn/secagg';
import { bitsFromRng, encodeDdg, pack, type DdgParams } from '@perch/learn/ddg';
import type { SecAggRoundDescription } from '@perch/learn/client';
import { Rng } from '@perch/model/rng';
import { decodeDdgSum, sumModM } from '@perch/learn/ddg';
import { releaseMean, zeroFrozen } from '@perch/learn/server';
import { cryptoRng } from '@perch/learn/privacy';
import { expect } from 'vitest';
import type { RoundInfo } from '../src/schemas/round.js';
import { layoutOf } from './helper.js';
import { expandTensors } from '@perch/learn/update';

export interface Reply { status: number; body: Record<string, unknown>; headers: Record<string, string | undefined> }
export type Send = (url: string, body: string | Uint8Array, headers: Record<string, string>) => Promise<Reply>;

export const injectSend = (app: FastifyInstance): Send => async (url, body, headers) => {
  const r = await app.inject({ method: 'POST', url, headers, payload: typeof body === 'string' ? body : Buffer.from(body) });
  return { status: r.statusCode, body: r.body ? (r.json() as Record<string, unknown>) : {}, headers: { 'content-type': r.headers['content-type'] as string | undefined, 'retry-after': r.headers['retry-after'] as string | undefined } };
};

export const fetchSend = (base: string): Send => async (url, body, headers) => {
  const r = await fetch(`${base}${url}`, { method: 'POST', headers, body: body as BodyInit });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: { 'content-type': r.headers.get('content-type') ?? undefined, 'retry-after': r.headers.get('retry-after') ?? undefined } };
};

export const ddgParams = (s: SecAggRoundDescription): DdgParams => ({ dim: s.ddg.dim, clip: s.ddg.clip, gamma: s.ddg.gamma, bits: s.bits, sigma: s.ddg.sigma, seed: s.ddg.rotationSeed, beta: s.ddg.beta });

/** A device's update encoded for the round (seeded: the test can recompute every device's vector). */
export function encodedUpdate(info: RoundInfo, seed: number): { delta: Float32Array; values: Uint32Array } {
  const s = info.secagg!;
  const rng = new Rng(seed);
  const delta = Float32Array.from({ length: s.ddg.dim }, () => (rng.next() - 0.5) * 0.02); // the trained tensors only (`ddg.tensors`)
  const enc = encodeDdg(delta, ddgParams(s), new Rng(seed + 1), bitsFromRng(new Rng(seed + 2)));
  return { delta, values: enc.values };
}

export class StepError extends Error {
  constructor(readonly step: string, readonly reply: Reply) { super(`${step}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`); }
}

export class HttpDevice {
  dev: SecAggDevice;
  id?: string;
  token?: string;
  /** Every POST made (re-sends included). */
  posts = 0;
  constructor(readonly info: RoundInfo, readonly send: Send, policy: DevicePolicy, readonly maxWaits = 200) {
    this.dev = SecAggDevice.create('pending', policy);
  }
  get s(): SecAggRoundDescription { return this.info.secagg!; }
  authHeaders(): Record<string, string> { return this.token ? { authorization: `Bearer ${this.token}` } : {}; }

  /** POSTs until the answer is not 202; throws on anything but 200. */
  async post(step: string, url: string, body: string | Uint8Array, contentType: string): Promise<Reply> {
    for (let i = 0; i < this.maxWaits; i++) {
      this.posts++;
      const r = await this.send(url, body, { 'content-type': contentType, ...this.authHeaders() });
      if (r.status === 202) {
        if (typeof r.body.token === 'string') { this.id = r.body.deviceId as string; this.token = r.body.token; }
        await new Promise((res) => setTimeout(res, 50));
        continue;
      }
      if (r.status !== 200) throw new StepError(step, r);
      return r;
    }
    throw new Error(`${step}: still pending after ${this.maxWaits} posts`);
  }

  /** The library's advertise message (its `sender` is a placeholder: the aggregator assigns the id). */
  async advertiseMessage(): Promise<{ cPk: string; sPk: string }> {
    const r = await this.dev.advertiseKeys({ step: 'advertise-keys', roundId: String(this.info.roundId), seed: this.s.graphSeed, bits: this.s.bits, d: this.s.d });
    if (!r.ok) throw new Error(`advertiseKeys: ${r.reason} ${r.detail}`);
    return { cPk: r.message.cPk, sPk: r.message.sPk };
  }

  async advertise(): Promise<ShareKeysRequest> {
    const r = await this.post('advertise', this.s.urls.advertise, JSON.stringify(await this.advertiseMessage()), 'application/json');
    this.adopt(r.body);
    return r.body.request as ShareKeysRequest;
  }

  /** Takes the id and credential the aggregator assigned (the state machine uses the id from share keys on). */
  adopt(body: Record<string, unknown>): void {
    this.id = body.deviceId as string; this.token = body.token as string;
    this.dev = SecAggDevice.fromJSON({ ...this.dev.toJSON(), id: this.id });
  }

  async shareKeysMessage(req: ShareKeysRequest): Promise<string> {
    const r = await this.dev.shareKeys(req);
    if (!r.ok) throw new Error(`shareKeys: ${r.reason} ${r.detail}`);
    return JSON.stringify(r.message);
  }

  async shareKeys(req: ShareKeysRequest): Promise<MaskedInputRequest> {
    return (await this.post('share-keys', this.s.urls.shareKeys, await this.shareKeysMessage(req), 'application/json')).body.request as MaskedInputRequest;
  }

  /** The masked vector, packed at the round's bits. */
  async maskedBytes(req: MaskedInputRequest, x: Uint32Array): Promise<Uint8Array> {
    const r = await this.dev.maskedInput(req, x);
    if (!r.ok) throw new Error(`maskedInput: ${r.reason} ${r.detail}`);
    return pack(decodeVector(r.message.y, this.s.d, this.s.bits)!, this.s.bits);
  }

  async maskedInput(req: MaskedInputRequest, x: Uint32Array): Promise<UnmaskRequest> {
    return (await this.post('masked-input', this.s.urls.maskedInput, await this.maskedBytes(req, x), 'application/octet-stream')).body.request as UnmaskRequest;
  }

  async unmaskMessage(req: UnmaskRequest): Promise<string> {
    const r = await this.dev.unmask(req);
    if (!r.ok) throw new Error(`unmask: ${r.reason} ${r.detail}`);
    return JSON.stringify(r.message);
  }

  async unmask(req: UnmaskRequest): Promise<void> {
    await this.post('unmask', this.s.urls.unmask, await this.unmaskMessage(req), 'application/json');
  }
}

/** The published step the aggregator must make from these devices' encodings (sgd at η = 1). */
export function expectedStep(info: RoundInfo, values: Uint32Array[], frozen: readonly string[]): Float32Array {
  const s = info.secagg!;
  const sum = expandTensors(decodeDdgSum(sumModM(values, s.bits), ddgParams(s), values.length), layoutOf(info), s.ddg.tensors);
  const mean = sum.map((v) => v / values.length);
  const { delta } = releaseMean(mean, { multiplier: 0, bound: info.clipBound, maxWeight: 1, totalWeight: values.length, denominator: info.targetClients, rng: cryptoRng() });
  return zeroFrozen(delta, layoutOf(info), frozen);
}

/** Published v(n+1) − v(n) on the shared layout equals `step`. */
export function expectStep(info: RoundInfo, before: Record<string, Float32Array>, after: Record<string, Float32Array>, step: Float32Array): void {
  const layout = layoutOf(info);
  let worst = 0;
  layout.tensors.forEach((t, ti) => {
    const a = after[t.name]!, b = before[t.name]!;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]! - step[layout.offsets[ti]! + i]!));
  });
  expect(worst).toBeLessThan(1e-6);
}

