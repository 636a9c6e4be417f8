/**
 * One secure-aggregation round on the aggregator: the `SecAggServer` state machine of @perch/learn/secagg behind
 * HTTP, with every accepted message and every stage close committed to SQLite before anyone is answered, stage
 * deadlines, long-polled answers, and the end of the round (unmask, decode, hand the sum to the round service).
 *
 * - Each device message is checked by the state machine (`receive`) and then stored (`secaggWrite`, through the
 *   writer thread); only then is it acknowledged. A stage closes at its deadline or as soon as nothing more can
 *   arrive (every device of the stage answered; advertise: `maxCohort`, or `targetClients` with `closeAtTarget`).
 *   A close waits for the stage's in-flight writes, closes the machine, then commits the new stage and the set
 *   it fixed (participants and k, t; cohort; survivors). The next step's request to each device is computed
 *   from that committed state, so a restart answers re-sent messages exactly as before.
 * - Restart (`load`): the machine is rebuilt from the tables (`fromJSON`): keys, envelopes, the running sum of
 *   the masked vectors, released shares. A stage whose deadline passed while the process was down closes at once;
 *   if the devices could not answer the next stages in time, the round then fails at the next close (cohort too
 *   small, or too few shares to unmask) and nothing is published.
 * - What is stored: public keys, envelopes the server cannot open, each device's masked vector y (uniform to the
 *   server), released shares. No unmasked vector is stored at any step: the sum is unmasked in memory at the
 *   end, decoded and released; the masked vectors and shares are dropped in the transaction that closes the round.
 * - The unmasked sum is checked against the norm n honest devices' encodings stay under (`checkDdgSum`) before it
 *   is decoded: a sum above it fails the round (`sum-out-of-bound`) and nothing is published.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecAggRoundDescription } from '@perch/learn/client';
import { checkDdgSum, decodeDdgSum, pack, packedLength, SUM_BOUND_FAILURE, sumModM, unpack } from '@perch/learn/ddg';
import { Rng } from '@perch/model/rng';
import {
  bytesEqual, commitB, deriveGraph, encodeRequest, encodeVector, fromB64, publicKeyOf, readReply, reconstructSecret, requestOf, SecAggServer, toB64,
  type AdvertiseKeys, type Reason, type RequestStep, type ServerState, type ShareKeys, type StepRequest, type Unmask, type WireReply,
} from '@perch/learn/secagg';
import { Problem } from '../problem.js';
import type { AggregatorStore, SecAggRoundRow, SecAggStage, SecAggWrite } from '../store/types.js';
import { ddgParamsOf, stageLengthsOf } from './params.js';
import { nodeSecAggBackend } from '../secagg-backend.js';

/** Node's native X25519 and AES-CTR for the machine (tested equal to the library's Web Crypto default). */
let backend: ReturnType<typeof nodeSecAggBackend> | undefined;
const nodeBackend = (): ReturnType<typeof nodeSecAggBackend> => (backend ??= nodeSecAggBackend());

type Step = 'advertise-keys' | 'share-keys' | 'masked-input' | 'unmasking';
const ORDER: Record<SecAggStage, number> = { 'advertise-keys': 0, 'share-keys': 1, 'masked-input': 2, unmasking: 3, done: 4, failed: 4 };
const KIND: Record<Step, SecAggWrite['kind']> = { 'advertise-keys': 'devices', 'share-keys': 'shares', 'masked-input': 'masked', unmasking: 'unmask' };
const NEXT: Record<Step, SecAggStage> = { 'advertise-keys': 'share-keys', 'share-keys': 'masked-input', 'masked-input': 'unmasking', unmasking: 'done' };

/** HTTP status of each refusal reason of the library (type `/problems/secagg/<reason>`). */
const STATUS: Partial<Record<Reason | string, number>> = {
  malformed: 400, 'bad-version': 400, 'bad-encoding': 400, 'wrong-length': 400, 'bad-key': 400, 'bad-input': 400,
  'out-of-order': 409, 'duplicate-sender': 409, 'duplicate-key': 409,
  'unknown-sender': 403, unauthorized: 401, 'stage-closed': 410, 'round-failed': 410, 'cohort-full': 410, 'too-large': 413,
};
export const secaggProblem = (reason: string, detail: string, extra: Record<string, unknown> = {}): Problem =>
  new Problem(STATUS[reason] ?? 422, `secagg/${reason}`, `Secure aggregation: ${reason}`, detail, { reason, ...extra });

/**
 * What a step's POST is answered with: the next step's request in the wire form (200), or a small JSON status
 * (202 pending, unmask's done), or a problem. `token`: the device's credential, on every answer to advertise that
 * has one (the `SECAGG_TOKEN_HEADER` header).
 */
export type StepAnswer = ({ status: 200 | 202; body: Record<string, unknown> | Uint8Array; retryAfter?: number } | { problem: Problem }) & { token?: string };

export interface SecAggHost {
  readonly log: { info(o: object, msg?: string): void; error(o: object, msg?: string): void };
  readonly now: () => number;
  /**
   * Whether other instances write to the same store (Postgres): then a stage is closed from every instance's
   * messages, read back from the store, and `sync` follows closes made elsewhere.
   */
  readonly shared?: boolean;
  /** `targetClients` when the policy closes advertise at the target, else undefined. */
  readonly closeAtTarget: number | undefined;
  /** Called once with the decoded sum over the survivors (of the round's `ddg.tensors`), or a failure reason; publishes or fails the round. */
  end(roundId: number, out: { ok: true; sum: Float32Array; tensors: readonly string[]; survivors: string[]; participants: number; cohort: number; sharesLeftOut: number } | { ok: false; reason: string }): Promise<void>;
}

const sha = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');
const parseList = (s: string | null): string[] | undefined => (s === null ? undefined : (JSON.parse(s) as string[]));

export class SecAggRound {
  private server!: SecAggServer;
  /** Machine state right after the latest close: the next step's requests are computed from it. */
  private snap: ServerState | undefined;
  private stage: SecAggStage;
  /** Deadline of the current stage (ms, server clock). */
  private deadline: number;
  private reason: string | undefined;
  private fingerprints = new Map<string, string>();
  /** Advertised devices → their c public key (credential checks and re-sent advertise without the full state). */
  private devices = new Map<string, string>();
  private counts = { devices: 0, shares: 0, masked: 0, unmask: 0 };
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly waiters = new Set<() => void>();
  private closing: Promise<void> | undefined;
  /** Stage being closed: its messages are refused from the moment the close starts. */
  private sealed: SecAggStage | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly desc: SecAggRoundDescription;
  private readonly libRound: string;

  private constructor(readonly roundId: number, row: SecAggRoundRow, private readonly store: AggregatorStore, private readonly host: SecAggHost) {
    this.desc = JSON.parse(row.params) as SecAggRoundDescription;
    this.stage = row.stage;
    this.deadline = row.deadline;
    this.secret = row.secret;
    this.libRound = String(roundId);
  }
  private readonly secret: Buffer;

  /** Rebuilds the round from the database (a new round has only its row) and arms its current stage. */
  static async load(roundId: number, store: AggregatorStore, host: SecAggHost): Promise<SecAggRound> {
    const snap = await store.secaggSnapshot(roundId);
    if (!snap) throw new Error(`secagg round ${roundId} has no row`);
    const r = new SecAggRound(roundId, snap.round, store, host);
    const { desc } = r;
    const row = snap.round;
    const state: ServerState = {
      config: { roundId: r.libRound, seed: desc.graphSeed, bits: desc.bits, d: desc.d, minCohort: desc.minCohort, targets: { gamma: 0.05, delta: 0.3, sigma: 40, eta: 30 }, k: desc.k, t: desc.t },
      stage: row.stage === 'done' || row.stage === 'failed' ? 'done' : row.stage,
      keys: {}, shared: {}, masked: [], unmask: {},
    };
    for (const m of snap.devices) {
      const k = JSON.parse(m.body) as { cPk: string; sPk: string };
      state.keys[m.device_id] = k; r.devices.set(m.device_id, k.cPk); r.fingerprints.set(`devices:${m.device_id}`, m.fingerprint);
    }
    for (const m of snap.shares) { state.shared[m.device_id] = JSON.parse(m.body) as ServerState['shared'][string]; r.fingerprints.set(`shares:${m.device_id}`, m.fingerprint); }
    for (const m of snap.unmask) { state.unmask[m.device_id] = JSON.parse(m.body) as ServerState['unmask'][string]; r.fingerprints.set(`unmask:${m.device_id}`, m.fingerprint); }
    const ys: Uint32Array[] = [];
    for (const m of snap.masked) {
      state.masked.push(m.device_id);
      r.fingerprints.set(`masked:${m.device_id}`, m.fingerprint);
      if (m.y && m.y.length > 0) ys.push(unpack(new Uint8Array(m.y), desc.bits, desc.d));
    }
    if (ys.length > 0) state.sum = encodeVector(sumModM(ys, desc.bits), desc.bits);
    const participants = parseList(row.participants);
    if (participants) {
      state.participants = participants; state.k = row.k!; state.t = row.t!;
      state.neighbours = Object.fromEntries(await deriveGraph(r.libRound, desc.graphSeed, participants, row.k!, nodeBackend()));
    }
    const cohort = parseList(row.cohort), survivors = parseList(row.survivors);
    if (cohort) state.cohort = cohort;
    if (survivors) state.survivors = survivors;
    r.counts = { devices: snap.devices.length, shares: snap.shares.length, masked: snap.masked.length, unmask: snap.unmask.length };
    r.server = SecAggServer.fromJSON(state, nodeBackend());
    r.snap = r.server.toJSON();
    r.reason = row.reason ?? undefined;
    return r;
  }

  /** Arms the current stage's deadline, or closes it now if it passed or nothing more can arrive. */
  start(): void {
    if (this.stopped || ORDER[this.stage] >= 4) return;
    const step = this.stage as Step;
    const due = this.deadline;
    if (this.timer) clearTimeout(this.timer);
    if (this.complete(step) || this.host.now() >= due) { setImmediate(() => void this.close(step, this.host.now() >= due ? 'deadline' : 'complete')); return; }
    this.timer = setTimeout(() => void this.close(step, 'deadline'), Math.min(2 ** 31 - 1, Math.max(0, due - this.host.now())));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake();
    await this.closing;
  }

  get currentStage(): SecAggStage { return this.stage; }
  /** Accepted messages per step. */
  get received(): { devices: number; shares: number; masked: number; unmask: number } { return { ...this.counts }; }

  // --- credentials -------------------------------------------------------------------------------------------

  /** Bearer token of a device: its id and an HMAC of (round, id) under the round's secret (nothing per device stored). */
  private tokenOf(id: string): string {
    return `${id}.${createHmac('sha256', this.secret).update(`${this.roundId}:${id}`).digest('base64url')}`;
  }

  /** The device a bearer token belongs to, or undefined. */
  private deviceOf(auth: string | undefined): string | undefined {
    const m = /^Bearer ([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(auth?.trim() ?? '');
    if (!m) return undefined;
    const want = Buffer.from(this.tokenOf(m[1]!));
    const got = Buffer.from(`${m[1]}.${m[2]}`);
    return want.length === got.length && timingSafeEqual(want, got) && this.devices.has(m[1]!) ? m[1] : undefined;
  }

  // --- steps -------------------------------------------------------------------------------------------------

  /** What reading a device's message needs: the participants (fixed at the advertise close) and the vector's shape. */
  private wireContext(): { participants?: string[]; d: number; bits: number } {
    return { ...(this.snap?.participants ? { participants: this.snap.participants } : {}), d: this.desc.d, bits: this.desc.bits };
  }

  /** The body in the wire form as a message of `step` for this round, or the problem to answer. */
  private read<M extends WireReply>(step: Step, bytes: Uint8Array): { ok: true; m: M } | { ok: false; answer: StepAnswer } {
    const out = readReply(bytes, this.wireContext(), step);
    if (!out.ok) return { ok: false, answer: { problem: secaggProblem(out.reason, out.detail, out.reason === 'out-of-order' ? { stage: this.stage } : {}) } };
    if (out.message.roundId !== this.libRound) return { ok: false, answer: { problem: secaggProblem('wrong-round', `message for round ${out.message.roundId}`) } };
    return { ok: true, m: out.message as M };
  }

  /** Step 0: the library's AdvertiseKeys with an empty sender. The aggregator assigns the device's id and credential. */
  async advertise(bytes: Uint8Array, auth: string | undefined): Promise<StepAnswer> {
    const r = this.read<AdvertiseKeys>('advertise-keys', bytes);
    if (!r.ok) return r.answer;
    if (r.m.sender !== '') return { problem: secaggProblem('malformed', 'the sender of an advertise is empty: the aggregator assigns the device id') };
    const keys = { cPk: r.m.cPk, sPk: r.m.sPk };
    const fp = sha(bytes);
    // A re-sent advertise: by its credential, or by its keys while the stage is still open (the first answer may
    // have been lost; nobody but the device and the server has seen its keys before the stage closes).
    const byToken = auth !== undefined ? this.deviceOf(auth) : undefined;
    if (auth !== undefined && !byToken) return { problem: secaggProblem('unauthorized', 'unknown or invalid device credential') };
    const known = byToken ?? (this.stage === 'advertise-keys' ? [...this.devices].find(([, c]) => c === keys.cPk)?.[0] : undefined);
    if (known) return this.replay('advertise-keys', known, fp);
    if (this.stage !== 'advertise-keys' || this.sealed === 'advertise-keys') return { problem: this.late('advertise-keys') };
    if (this.counts.devices >= this.desc.maxCohort) return { problem: secaggProblem('cohort-full', `the round admits ${this.desc.maxCohort} devices`) };
    const id = toB64(new Uint8Array(randomBytes(16)));
    return this.accept('advertise-keys', id, fp, { ...r.m, sender: id }, { body: JSON.stringify(keys) });
  }

  /** Step 1: the library's ShareKeys message. */
  shareKeys(bytes: Uint8Array, auth: string | undefined): Promise<StepAnswer> {
    return this.step<ShareKeys>('share-keys', bytes, auth, (m) => ({ body: JSON.stringify({ bCommit: m.bCommit, shares: Object.fromEntries(m.shares.map((e) => [e.to, e.envelope])) }) }));
  }

  /** Step 2: the library's MaskedInput message (y packed at `bits` bits per value); y is stored packed. */
  maskedInput(bytes: Uint8Array, auth: string | undefined): Promise<StepAnswer> {
    const y = packedLength(this.desc.d, this.desc.bits);
    return this.step('masked-input', bytes, auth, () => ({ body: '{}', y: bytes.subarray(bytes.length - y) }));
  }

  /** Step 3: the library's Unmask message. */
  unmask(bytes: Uint8Array, auth: string | undefined): Promise<StepAnswer> {
    return this.step<Unmask>('unmasking', bytes, auth, (m) => ({ body: JSON.stringify(m.shares.map((e) => ({ owner: e.owner, kind: e.kind, share: e.share }))) }));
  }

  /** A step after advertise: credential, then the wire form (sender = the credential's device), then replay or accept. */
  private async step<M extends WireReply>(step: Exclude<Step, 'advertise-keys'>, bytes: Uint8Array, auth: string | undefined, toRow: (m: M) => { body: string; y?: Uint8Array }): Promise<StepAnswer> {
    const id = this.deviceOf(auth);
    if (!id) return { problem: secaggProblem('unauthorized', 'unknown or invalid device credential') };
    const r = this.read<M>(step, bytes);
    if (!r.ok) return r.answer;
    if (r.m.sender !== id) return { problem: secaggProblem('unknown-sender', 'the sender is not the device the credential belongs to') };
    // The SHA-256 of the body as received: a re-sent message is the same bytes.
    const fp = sha(bytes);
    const pre = this.precheck(step, id, fp);
    if (pre) return pre;
    return this.accept(step, id, fp, r.m, toRow(r.m));
  }

  /** Before the machine sees a message: a replay, a late or an early message. */
  private precheck(step: Step, id: string, fp: string): Promise<StepAnswer> | undefined {
    if (this.fingerprints.has(`${KIND[step]}:${id}`)) return this.replay(step, id, fp);
    if (ORDER[this.stage] < ORDER[step]) return Promise.resolve({ problem: secaggProblem('out-of-order', `the round is still at ${this.stage}`, { stage: this.stage }) });
    if (this.stage !== step || this.sealed === step) return Promise.resolve({ problem: this.late(step) });
    return undefined;
  }

  private late(step: Step): Problem {
    if (this.stage === 'failed') return secaggProblem('round-failed', this.reason ?? 'the round failed', { stage: this.stage });
    return secaggProblem('stage-closed', `the ${step} stage is closed`, { stage: this.stage });
  }

  /** Machine, then database, then answer. A message the machine refuses leaves no trace. */
  private async accept(step: Step, id: string, fp: string, msg: unknown, row: { body: string; y?: Uint8Array }): Promise<StepAnswer> {
    const key = `${KIND[step]}:${id}`;
    const a = await this.server.receive(msg);
    if (!a.ok) {
      // Two copies of one message racing: the second waits for the first's commit and is answered as its replay.
      if (a.reason === 'duplicate-sender') { await Promise.allSettled([...this.inflight]); if (this.fingerprints.has(key)) return this.replay(step, id, fp); }
      return { problem: secaggProblem(a.reason, a.detail) };
    }
    const write = this.store.secaggWrite({ kind: KIND[step], roundId: this.roundId, deviceId: id, body: row.body, ...(row.y ? { y: row.y } : {}), fingerprint: fp, receivedAt: this.host.now() });
    this.inflight.add(write);
    let res: Awaited<typeof write>;
    try {
      res = await write;
    } catch (err) {
      // Not stored: the machine must forget the message too.
      this.host.log.error({ err, round: this.roundId }, 'secagg: storing a message failed; reloading the round');
      await this.reload();
      throw err;
    } finally { this.inflight.delete(write); }
    if (res.kind !== 'inserted') {
      await this.reload();
      // Stored already through another instance (a shared store): the same bytes are a replay.
      if (res.kind === 'duplicate') return this.replay(step, id, fp);
      return { problem: this.late(step) };
    }
    this.fingerprints.set(key, fp);
    this.counts[KIND[step]]++;
    if (step === 'advertise-keys') this.devices.set(id, (msg as { cPk: string }).cPk);
    if (this.complete(step)) setImmediate(() => void this.close(step, 'complete'));
    return this.answer(step, id, step === 'advertise-keys');
  }

  /** A message this device already sent for `step`: same bytes → the same answer; other bytes → refused. */
  private replay(step: Step, id: string, fp: string): Promise<StepAnswer> {
    if (this.fingerprints.get(`${KIND[step]}:${id}`) !== fp) return Promise.resolve({ problem: secaggProblem('duplicate-sender', `this device already sent a different ${step} message`) });
    return this.answer(step, id, step === 'advertise-keys');
  }

  /** After `step` was stored: the next step's request in the wire form once the stage closes (held up to
   * longPollMs), else 202. Advertise's answers carry the device's credential. */
  private async answer(step: Step, id: string, credentials: boolean): Promise<StepAnswer> {
    const cred = credentials ? { token: this.tokenOf(id) } : {};
    if (step === 'unmasking') return { status: 200, body: { status: 'done', roundId: this.roundId } };
    if (ORDER[this.stage] <= ORDER[step] && this.desc.longPollMs > 0) await this.waitPast(step, this.desc.longPollMs);
    if (this.stage === 'failed') return { problem: secaggProblem('round-failed', this.reason ?? 'the round failed'), ...cred };
    if (ORDER[this.stage] <= ORDER[step]) return { status: 202, retryAfter: 1, body: { status: 'pending', stage: this.stage, deadline: new Date(this.deadline).toISOString() }, ...cred };
    const request = this.requestFor(NEXT[step] as RequestStep, id);
    if (!request) return { problem: secaggProblem('stage-closed', `this device is not part of the ${NEXT[step]} stage`), ...cred };
    return { status: 200, body: encodeRequest(request, { participants: this.snap!.participants! }), ...cred };
  }

  private waitPast(step: Step, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => { clearTimeout(t); this.waiters.delete(check); resolve(); };
      const check = (): void => { if (this.stopped || ORDER[this.stage] > ORDER[step]) done(); };
      const t = setTimeout(done, ms);
      this.waiters.add(check);
    });
  }

  private wake(): void { for (const w of [...this.waiters]) w(); }

  /** The request of `step` to device `id`, from the state committed when the previous stage closed. */
  private requestFor(step: RequestStep, id: string): StepRequest | undefined {
    return this.snap ? requestOf(this.snap, step, id) : undefined;
  }

  /** Whether nothing more can arrive for `step` (every device expected at it answered, or the cohort is full). */
  private complete(step: Step): boolean {
    const s = this.snap, c = this.counts;
    switch (step) {
      case 'advertise-keys': return c.devices >= this.desc.maxCohort || (this.host.closeAtTarget !== undefined && c.devices >= this.host.closeAtTarget);
      case 'share-keys': return !!s?.participants && c.shares >= s.participants.length;
      case 'masked-input': return !!s?.cohort && c.masked >= s.cohort.length;
      case 'unmasking': return !!s?.survivors && c.unmask >= s.survivors.length;
    }
  }

  /**
   * On a shared store: follows what other instances did. A stage closed elsewhere is loaded (waking this
   * instance's long polls and arming the next stage's deadline); a stage whose messages, counted over every
   * instance, are complete is closed here.
   */
  async sync(): Promise<void> {
    if (this.stopped || this.closing || ORDER[this.stage] >= 4) return;
    const row = await this.store.secaggRound(this.roundId);
    if (!row) return;
    if (row.stage !== this.stage) {
      await this.reload();
      this.wake();
      this.start();
      return;
    }
    const counts = await this.store.secaggCounts(this.roundId);
    if (counts.devices !== this.counts.devices || counts.shares !== this.counts.shares || counts.masked !== this.counts.masked || counts.unmask !== this.counts.unmask) {
      await this.reload();
      if (this.complete(this.stage as Step)) void this.close(this.stage as Step, 'complete');
    }
  }

  private async reload(): Promise<void> {
    const fresh = await SecAggRound.load(this.roundId, this.store, this.host);
    this.server = fresh.server; this.snap = fresh.snap; this.stage = fresh.stage; this.reason = fresh.reason; this.deadline = fresh.deadline;
    this.fingerprints = fresh.fingerprints; this.devices = fresh.devices; this.counts = fresh.counts;
  }

  // --- closes ------------------------------------------------------------------------------------------------

  /** Closes `step` (single flight): seal it, let its writes land, close the machine, commit, wake the waiters. */
  close(step: Step, why: string): Promise<void> {
    if (this.closing) return this.closing.then(() => (this.stage === step ? this.close(step, why) : undefined));
    if (this.stage !== step || this.stopped) return Promise.resolve();
    this.closing = this.doClose(step, why)
      .catch(async (err: unknown) => {
        this.host.log.error({ err, round: this.roundId, stage: step }, 'secagg: closing a stage failed; retrying in 5 s');
        this.sealed = undefined;
        await this.reload().catch(() => undefined);
        if (!this.stopped) setTimeout(() => void this.close(step, 'retry'), 5000).unref();
      })
      .finally(() => { this.closing = undefined; });
    return this.closing;
  }

  private async doClose(step: Step, why: string): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.sealed = step;
    await Promise.allSettled([...this.inflight]);
    if (this.host.shared) {
      // Every instance's messages, not only this one's; another instance may have closed the stage already.
      await this.reload();
      if (this.stage !== step) { this.sealed = undefined; this.wake(); this.start(); return; }
    }
    const log = (o: object, msg: string): void => this.host.log.info({ round: this.roundId, stage: step, why, ...o }, msg);
    if (step === 'unmasking') return this.finish(log);
    const out = step === 'advertise-keys' ? await this.server.closeAdvertise() : step === 'share-keys' ? this.server.closeShareKeys() : this.server.closeMaskedInput();
    if (!out.ok) return this.fail(step, `${out.reason}: ${out.detail}`, log);
    const s = this.server.toJSON();
    const set = step === 'advertise-keys' ? { participants: s.participants!, k: s.k!, t: s.t! } : step === 'share-keys' ? { cohort: s.cohort! } : { survivors: s.survivors! };
    const deadline = this.host.now() + stageLengthsOf(this.desc)[NEXT[step] as Exclude<Step, 'advertise-keys'>];
    if (!(await this.store.secaggAdvance(this.roundId, step, NEXT[step], deadline, set))) throw new Error(`secagg round ${this.roundId} was not at ${step}`);
    this.snap = s;
    this.stage = NEXT[step];
    this.deadline = deadline;
    this.sealed = undefined;
    log({ devices: (set as { participants?: string[] }).participants?.length ?? (set as { cohort?: string[] }).cohort?.length ?? (set as { survivors?: string[] }).survivors?.length }, `secagg: ${step} closed`);
    this.wake();
    this.start();
  }

  /** Unmasking closed: rebuild the secrets, remove the masks, decode the sum, and hand it to the round service. */
  private async finish(log: (o: object, msg: string) => void): Promise<void> {
    let fin = await this.server.finish();
    let sharesLeftOut = 0;
    if (!fin.ok && fin.reason === 'reconstruction-failed') {
      // A wrong share (forged, or copied from another device) spoils a reconstruction: keep, per secret, a set of
      // t shares that rebuilds what its owner committed to, and try once more.
      const { state, dropped } = await robustShares(this.server.toJSON());
      log({ dropped }, 'secagg: wrong shares left out of the reconstruction');
      sharesLeftOut = dropped;
      this.server = SecAggServer.fromJSON(state, nodeBackend());
      fin = await this.server.finish();
    }
    if (!fin.ok) return this.fail('unmasking', `${fin.reason}: ${fin.detail}`, log);
    const s = this.server.toJSON();
    const params = ddgParamsOf(this.desc), n = fin.message.survivors.length;
    // No device proves the norm of what it masked: a sum above what n honest devices reach (but with probability
    // SUM_BOUND_FAILURE) has a device's lie in it, and is not released. What this leaves a liar: docs/secure-aggregation.md.
    const bound = checkDdgSum(fin.message.sum, params, n);
    let sum: Float32Array | undefined, problem: string | undefined;
    if (!bound.ok) problem = `sum-out-of-bound: the sum of ${n} devices has norm ${(bound.norm / bound.bound).toFixed(3)} × the bound honest devices stay under (failure probability ${SUM_BOUND_FAILURE})`;
    else {
      try { sum = decodeDdgSum(fin.message.sum, params, n); } catch (e) { problem = `decode: ${(e as Error).message}`; }
    }
    fin.message.sum.fill(0);
    if (!sum) return this.fail('unmasking', problem!, log);
    log({ survivors: fin.message.survivors.length }, 'secagg: unmasked the sum');
    await this.host.end(this.roundId, { ok: true, sum, tensors: this.desc.ddg.tensors, survivors: fin.message.survivors, participants: s.participants!.length, cohort: s.cohort!.length, sharesLeftOut });
    this.stage = 'done';
    this.wake();
  }

  private async fail(step: Step, reason: string, log: (o: object, msg: string) => void): Promise<void> {
    log({ reason }, 'secagg: the round failed; nothing is published');
    await this.host.end(this.roundId, { ok: false, reason: `${step}: ${reason}` });
    this.stage = 'failed';
    this.reason = `${step}: ${reason}`;
    this.wake();
  }
}

/**
 * For each secret the server must rebuild (b of a survivor, s_sk of a dropped device a survivor masked with), a
 * set of t released shares whose reconstruction matches what the owner published (its b commitment, its s public
 * key): the first t in sender order, else leaving one sender out at a time, else the first t of up to 64 uniform
 * shuffles drawn from `seed` (by default a fresh random one, so devices sending wrong shares cannot know which
 * subsets will be tried; a test passes its own). Every other share of that secret is removed from the state.
 * Returns how many (sender, owner) shares were removed.
 */
export async function robustShares(st: ServerState, seed = randomBytes(4).readUInt32LE(0)): Promise<{ state: ServerState; dropped: number }> {
  const rng = new Rng(seed);
  const t = st.t!, surv = new Set(st.survivors), roundId = st.config.roundId;
  const needed = st.cohort!.filter((u) => surv.has(u) || st.neighbours![u]!.some((v) => surv.has(v)));
  let dropped = 0;
  for (const u of needed) {
    const held = Object.keys(st.unmask).sort().flatMap((sender) => st.unmask[sender]!.filter((e) => e.owner === u).map((e) => ({ sender, share: fromB64(e.share)! })));
    if (held.length < t) continue;
    /** The t shares reconstructSecret would use from `set` (distinct x-coordinates, in order). */
    const firstT = (set: typeof held): typeof held => {
      const xs = new Set<number>(), out: typeof held = [];
      for (const h of set) { const x = h.share[h.share.length - 1]!; if (x !== 0 && !xs.has(x) && out.length < t) { xs.add(x); out.push(h); } }
      return out;
    };
    const ok = async (set: typeof held): Promise<boolean> => {
      const secret = set.length === t ? await reconstructSecret(set.map((h) => h.share), t) : undefined;
      if (!secret) return false;
      return surv.has(u) ? commitB(roundId, u, secret) === st.shared[u]!.bCommit : bytesEqual(await publicKeyOf(secret, nodeBackend()), fromB64(st.keys[u]!.sPk)!);
    };
    const candidates: (typeof held)[] = [held];
    for (let i = 0; i < held.length; i++) candidates.push(held.filter((_, j) => j !== i));
    for (let r = 0; r < 64; r++) candidates.push(rng.shuffle([...held]));
    let keep: Set<string> | undefined;
    for (const c of candidates) { const use = firstT(c); if (await ok(use)) { keep = new Set(use.map((h) => h.sender)); break; } }
    if (!keep || (keep.size === held.length)) continue;
    for (const sender of Object.keys(st.unmask)) {
      if (keep.has(sender)) continue;
      const before = st.unmask[sender]!.length;
      st.unmask[sender] = st.unmask[sender]!.filter((e) => e.owner !== u);
      dropped += before - st.unmask[sender]!.length;
    }
  }
  return { state: st, dropped };
}
