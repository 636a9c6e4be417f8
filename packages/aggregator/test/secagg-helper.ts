/**
 * A device of a secure-aggregation round over HTTP, for tests: `SecAggDevice` (@perch/learn/secagg) and
 * `encodeDdg` (@perch/learn/ddg) as the SDK worker would run them, in the wire form, through `app.inject` or
 * `fetch`. Each step re-sends the same bytes while the aggregator answers 202 (the stage is still open).
 */
import type { FastifyInstance } from 'fastify';
import {
  encodeReply, readRequest, SecAggDevice, SECAGG_CONTENT_TYPE, SECAGG_TOKEN_HEADER,
  type DevicePolicy, type MaskedInputRequest, type ShareKeys, type ShareKeysRequest, type Step, type Unmask, type UnmaskRequest, type WireContext, type WireReply,
} from '@perch/learn/secagg';
import { bitsFromRng, encodeDdg, type DdgParams } from '@perch/learn/ddg';
import type { SecAggRoundDescription } from '@perch/learn/client';
import { loadExport } from '@perch/model/export';
import { Rng } from '@perch/model/rng';
import { decodeDdgSum, sumModM } from '@perch/learn/ddg';
import { releaseMean, zeroFrozen } from '@perch/learn/server';
import { cryptoRng } from '@perch/learn/privacy';
import { expect } from 'vitest';
import type { RoundInfo } from '../src/schemas/round.js';
import { layoutOf } from './helper.js';
import { expandTensors } from '@perch/learn/update';

/** An answer: its bytes (`raw`), its JSON body when it is JSON (202, unmask's done, problems), else {}. */
export interface Reply { status: number; body: Record<string, unknown>; raw: Uint8Array; headers: Record<string, string | undefined> }
export type Send = (url: string, body: string | Uint8Array, headers: Record<string, string>) => Promise<Reply>;
export const WIRE = SECAGG_CONTENT_TYPE;

const reply = (status: number, raw: Uint8Array, header: (name: string) => string | undefined): Reply => {
  const type = header('content-type');
  return {
    status, raw,
    body: raw.length > 0 && /json/.test(type ?? '') ? (JSON.parse(Buffer.from(raw).toString('utf8')) as Record<string, unknown>) : {},
    headers: { 'content-type': type, 'retry-after': header('retry-after'), token: header(SECAGG_TOKEN_HEADER) },
  };
};

export const injectSend = (app: FastifyInstance): Send => async (url, body, headers) => {
  const r = await app.inject({ method: 'POST', url, headers, payload: typeof body === 'string' ? body : Buffer.from(body) });
  return reply(r.statusCode, new Uint8Array(r.rawPayload), (n) => r.headers[n] as string | undefined);
};

export const fetchSend = (base: string): Send => async (url, body, headers) => {
  const r = await fetch(`${base}${url}`, { method: 'POST', headers, body: body as BodyInit });
  return reply(r.status, new Uint8Array(await r.arrayBuffer()), (n) => r.headers.get(n) ?? undefined);
};

/** A published version's weights, fetched over HTTP from `base` and checked against its manifest. */
export async function versionWeights(base: string, version: number): Promise<Record<string, Float32Array>> {
  const manifestBytes = new Uint8Array(await (await fetch(`${base}/v1/model/versions/${version}/manifest.json`)).arrayBuffer());
  return (await loadExport(async (p) => new Uint8Array(await (await fetch(`${base}/v1/model/versions/${version}/${p}`)).arrayBuffer()), manifestBytes)).weights;
}

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

/**
 * A device speaking the aggregator's wire form: each message is the library's, encoded with `encodeReply`, and
 * each 200 answer's request is read with `readRequest` (the participants of the share-keys request name the
 * devices of the later messages).
 */
export class HttpDevice {
  dev: SecAggDevice;
  id?: string;
  token?: string;
  /** What the wire form needs: the round's d and bits, and the participants once the share-keys request came. */
  readonly ctx: WireContext;
  /** Every POST made (re-sends included). */
  posts = 0;
  constructor(readonly info: RoundInfo, readonly send: Send, policy: DevicePolicy, readonly maxWaits = 200) {
    this.dev = SecAggDevice.create('pending', policy);
    this.ctx = { d: info.secagg!.d, bits: info.secagg!.bits };
  }
  get s(): SecAggRoundDescription { return this.info.secagg!; }
  authHeaders(): Record<string, string> { return this.token ? { authorization: `Bearer ${this.token}` } : {}; }

  /** POSTs until the answer is not 202; throws on anything but 200. */
  async post(step: string, url: string, body: string | Uint8Array, contentType = WIRE): Promise<Reply> {
    for (let i = 0; i < this.maxWaits; i++) {
      this.posts++;
      const r = await this.send(url, body, { 'content-type': contentType, ...this.authHeaders() });
      if (r.status === 202) {
        if (r.headers.token) this.adopt(r);
        await new Promise((res) => setTimeout(res, 50));
        continue;
      }
      if (r.status !== 200) throw new StepError(step, r);
      return r;
    }
    throw new Error(`${step}: still pending after ${this.maxWaits} posts`);
  }

  /** This device's message in the wire form. */
  encode(m: WireReply): Uint8Array { return encodeReply(m, this.ctx); }

  /** The request of `step` a 200 answer carries, in the wire form. */
  request<T>(r: Reply, step: Step): T {
    expect(r.headers['content-type']).toBe(WIRE);
    const q = readRequest(r.raw, this.ctx, step);
    if (!q.ok) throw new Error(`${step} request: ${q.reason} ${q.detail}`);
    if (q.message.step === 'share-keys') this.ctx.participants = q.message.participants;
    return q.message as T;
  }

  /** The library's advertise keys. */
  async advertiseKeys(): Promise<{ cPk: string; sPk: string }> {
    const r = await this.dev.advertiseKeys({ step: 'advertise-keys', roundId: String(this.info.roundId), seed: this.s.graphSeed, bits: this.s.bits, d: this.s.d });
    if (!r.ok) throw new Error(`advertiseKeys: ${r.reason} ${r.detail}`);
    return { cPk: r.message.cPk, sPk: r.message.sPk };
  }

  /** The advertise message in the wire form, with the empty sender (the aggregator assigns the id). */
  async advertiseMessage(keys?: { cPk: string; sPk: string }): Promise<Uint8Array> {
    return this.encode({ step: 'advertise-keys', roundId: String(this.info.roundId), sender: '', ...(keys ?? await this.advertiseKeys()) });
  }

  async advertise(): Promise<ShareKeysRequest> {
    const r = await this.post('advertise', this.s.urls.advertise, await this.advertiseMessage());
    this.adopt(r);
    return this.request<ShareKeysRequest>(r, 'share-keys');
  }

  /** Takes the credential of an advertise answer; the id is its part before the dot (the state machine uses it from share keys on). */
  adopt(r: Reply): void {
    expect(r.headers.token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    this.token = r.headers.token!;
    this.id = this.token.split('.')[0]!;
    this.dev = SecAggDevice.fromJSON({ ...this.dev.toJSON(), id: this.id });
  }

  async shareKeysReply(req: ShareKeysRequest): Promise<ShareKeys> {
    this.ctx.participants = req.participants;
    const r = await this.dev.shareKeys(req);
    if (!r.ok) throw new Error(`shareKeys: ${r.reason} ${r.detail}`);
    return r.message;
  }

  async shareKeysMessage(req: ShareKeysRequest): Promise<Uint8Array> { return this.encode(await this.shareKeysReply(req)); }

  async shareKeys(req: ShareKeysRequest): Promise<MaskedInputRequest> {
    return this.request<MaskedInputRequest>(await this.post('share-keys', this.s.urls.shareKeys, await this.shareKeysMessage(req)), 'masked-input');
  }

  /** The masked-input message (y packed at the round's bits) in the wire form. */
  async maskedBytes(req: MaskedInputRequest, x: Uint32Array): Promise<Uint8Array> {
    const r = await this.dev.maskedInput(req, x);
    if (!r.ok) throw new Error(`maskedInput: ${r.reason} ${r.detail}`);
    return this.encode(r.message);
  }

  async maskedInput(req: MaskedInputRequest, x: Uint32Array): Promise<UnmaskRequest> {
    return this.request<UnmaskRequest>(await this.post('masked-input', this.s.urls.maskedInput, await this.maskedBytes(req, x)), 'unmasking');
  }

  async unmaskReply(req: UnmaskRequest): Promise<Unmask> {
    const r = await this.dev.unmask(req);
    if (!r.ok) throw new Error(`unmask: ${r.reason} ${r.detail}`);
    return r.message;
  }

  async unmaskMessage(req: UnmaskRequest): Promise<Uint8Array> { return this.encode(await this.unmaskReply(req)); }

  async unmask(req: UnmaskRequest): Promise<void> {
    const r = await this.post('unmask', this.s.urls.unmask, await this.unmaskMessage(req));
    expect(r.body).toMatchObject({ status: 'done' });
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

