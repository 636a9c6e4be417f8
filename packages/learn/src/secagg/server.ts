/**
 * The server's side of SecAgg+ as a state machine: it opens a round, collects each step's replies (`receive`
 * checks each one and rejects it with a reason without stopping the round for the others), closes the step and
 * hands out the next step's requests, and at the end removes the masks and outputs only the sum over the devices
 * whose masked input arrived. It refuses to unmask when fewer than t shares arrived for any secret it needs, and
 * it checks every reconstructed secret against what the device published (b against its commitment, s_sk against
 * its advertised public key), so wrong shares are caught rather than summed in.
 * State is plain JSON (`toJSON`/`fromJSON`), so the aggregator can persist it after every call and resume.
 */
import { bytesEqual, decodeVector, encodeVector, fromB64, toB64 } from './bytes.js';
import { publicKeyOf, randomBytes, webCryptoBackend, type SecAggBackend } from './crypto.js';
import { deriveGraph } from './graph.js';
import { addMasks, addWords, commitB, narrow, pairMaskJobs, selfMaskKey, wide, type MaskJob, type Wide } from './masking.js';
import {
  checkShape, reject,
  type AdvertiseKeysRequest, type MaskedInputRequest, type Outcome, type Rejection, type RoundConfig,
  type ShareKeys, type ShareKeysRequest, type Step, type Unmask, type UnmaskRequest,
} from './messages.js';
import { chooseParams, DEFAULT_TARGETS, MAX_DEGREE, MIN_THRESHOLD, type SecurityTargets } from './params.js';
import { reconstructSecret } from './shamir.js';

export interface ServerOptions {
  roundId: string;
  bits: number;
  d: number;
  /** Smallest cohort the server proceeds with at every step. */
  minCohort: number;
  /** Targets k and t are chosen from when not fixed here. */
  targets?: SecurityTargets;
  k?: number;
  t?: number;
  /** Round-public graph seed (base64url, 32 bytes); random when omitted. */
  seed?: string;
}

type ServerStage = Step | 'done';

export interface ServerState {
  config: RoundConfig & { minCohort: number; targets: SecurityTargets; k?: number; t?: number };
  stage: ServerStage;
  keys: Record<string, { cPk: string; sPk: string }>;
  participants?: string[];
  k?: number;
  t?: number;
  neighbours?: Record<string, string[]>;
  shared: Record<string, { bCommit: string; shares: Record<string, string> }>;
  cohort?: string[];
  /** Senders of accepted masked inputs, in arrival order, and their running sum mod 2^bits. */
  masked: string[];
  sum?: string;
  survivors?: string[];
  unmask: Record<string, Unmask['shares']>;
}

export interface SecAggResult {
  /** Σ x_u mod 2^bits over `survivors`. */
  sum: Uint32Array;
  survivors: string[];
}

export type Accepted = { ok: true } | ({ ok: false } & Rejection);

/** A step that ends with one request per device (advertise's request is the same for all: `advertiseRequest`). */
export type RequestStep = 'share-keys' | 'masked-input' | 'unmasking';
export type StepRequest = ShareKeysRequest | MaskedInputRequest | UnmaskRequest;

/** The members of `step`: U1 (participants), U2 (cohort) or U3 (survivors), once the previous stage closed. */
const membersOf = (s: ServerState, step: RequestStep): string[] | undefined =>
  (step === 'share-keys' ? s.participants : step === 'masked-input' ? s.cohort : s.survivors);

/** `step`'s request to member `id` (the state has the sets the previous close fixed). */
function buildRequest(s: ServerState, step: RequestStep, id: string): StepRequest {
  const roundId = s.config.roundId;
  if (step === 'share-keys') return { step, roundId, k: s.k!, t: s.t!, participants: s.participants!, neighbours: s.neighbours![id]!.map((v) => ({ id: v, ...s.keys[v]! })) };
  if (step === 'masked-input') return { step, roundId, cohort: s.cohort!, shares: s.neighbours![id]!.filter((v) => s.shared[v]).map((v) => ({ from: v, envelope: s.shared[v]!.shares[id]! })) };
  return { step, roundId, survivors: s.survivors! };
}

/**
 * The request of `step` to device `id`, from a saved state in which that step's set is fixed (a server that answers
 * each device on its own, after a restart too); undefined if `id` is not in the set. The closes build the same.
 */
export function requestOf(s: ServerState, step: RequestStep, id: string): StepRequest | undefined {
  return membersOf(s, step)?.includes(id) ? buildRequest(s, step, id) : undefined;
}

/** One request per member of `step`, as its close returns them. */
const requestsOf = <T extends StepRequest>(s: ServerState, step: RequestStep): Record<string, T> =>
  Object.fromEntries(membersOf(s, step)!.map((id) => [id, buildRequest(s, step, id) as T]));

export class SecAggServer {
  /** The running sum of the masked inputs, mod 2^16 or 2^32 (`Wide`); saved as `s.sum` by `toJSON`. */
  private acc: Wide | undefined;

  private constructor(private s: ServerState, private backend: SecAggBackend = webCryptoBackend) {
    if (s.sum !== undefined) this.acc = wide(s.config.d, s.config.bits, decodeVector(s.sum, s.config.d, s.config.bits));
  }

  /** `backend` replaces the Web Crypto X25519 and mask expansion, e.g. with Node's native crypto on the aggregator. */
  static open(o: ServerOptions, backend?: SecAggBackend): SecAggServer {
    if (!Number.isInteger(o.bits) || o.bits < 1 || o.bits > 32) throw new RangeError(`bits ${o.bits}`);
    if (!Number.isInteger(o.d) || o.d < 1) throw new RangeError(`d ${o.d}`);
    if (o.k !== undefined && (!Number.isInteger(o.k) || o.k % 2 !== 0 || o.k > MAX_DEGREE)) throw new RangeError(`k ${o.k} must be even and ≤ ${MAX_DEGREE}`);
    if (o.t !== undefined && (!Number.isInteger(o.t) || o.t < MIN_THRESHOLD)) throw new RangeError(`t ${o.t}`);
    const seed = o.seed ?? toB64(randomBytes(32));
    const config: ServerState['config'] = { roundId: o.roundId, seed, bits: o.bits, d: o.d, minCohort: o.minCohort, targets: o.targets ?? DEFAULT_TARGETS };
    if (o.k !== undefined) config.k = o.k;
    if (o.t !== undefined) config.t = o.t;
    return new SecAggServer({ config, stage: 'advertise-keys', keys: {}, shared: {}, masked: [], unmask: {} }, backend);
  }

  get stage(): ServerStage { return this.s.stage; }

  advertiseRequest(): AdvertiseKeysRequest {
    const { roundId, seed, bits, d } = this.s.config;
    return { step: 'advertise-keys', roundId, seed, bits, d };
  }

  /** Checks and records one device reply for the current step. */
  async receive(msg: unknown): Promise<Accepted> {
    const { config: c } = this.s;
    const bad = checkShape(msg, c.d, c.bits);
    if (bad) return { ok: false, ...bad };
    const m = msg as { step: Step; roundId: string; sender: string };
    if (m.roundId !== c.roundId) return reject('wrong-round', `round ${m.roundId}`);
    if (m.step !== this.s.stage) return reject('out-of-order', `${m.step} while collecting ${this.s.stage}`);
    switch (m.step) {
      case 'advertise-keys': {
        const a = msg as { cPk: string; sPk: string };
        if (this.s.keys[m.sender]) return reject('duplicate-sender', m.sender);
        for (const k of Object.values(this.s.keys)) if ([k.cPk, k.sPk].includes(a.cPk) || [k.cPk, k.sPk].includes(a.sPk)) return reject('duplicate-key', `${m.sender} reuses a key`);
        if (a.cPk === a.sPk) return reject('duplicate-key', `${m.sender} uses one key twice`);
        this.s.keys[m.sender] = { cPk: a.cPk, sPk: a.sPk };
        return { ok: true };
      }
      case 'share-keys': {
        const r = msg as ShareKeys;
        const nb = this.s.neighbours?.[m.sender];
        if (!nb) return reject('unknown-sender', m.sender);
        if (this.s.shared[m.sender]) return reject('duplicate-sender', m.sender);
        const to = r.shares.map((e) => e.to);
        if (to.length !== nb.length || new Set(to).size !== to.length || to.some((id) => !nb.includes(id))) return reject('wrong-recipients', 'one envelope per neighbour is required');
        this.s.shared[m.sender] = { bCommit: r.bCommit, shares: Object.fromEntries(r.shares.map((e) => [e.to, e.envelope])) };
        return { ok: true };
      }
      case 'masked-input': {
        if (!this.s.cohort?.includes(m.sender)) return reject('unknown-sender', m.sender);
        if (this.s.masked.includes(m.sender)) return reject('duplicate-sender', m.sender);
        const y = decodeVector((msg as { y: string }).y, c.d, c.bits);
        if (!y) return reject('bad-input', `y has a value ≥ 2^${c.bits}`);
        this.acc ??= wide(c.d, c.bits);
        addWords(this.acc, wide(c.d, c.bits, y), 1);
        this.s.masked.push(m.sender);
        return { ok: true };
      }
      case 'unmasking': {
        const r = msg as Unmask;
        if (!this.s.survivors?.includes(m.sender)) return reject('unknown-sender', m.sender);
        if (this.s.unmask[m.sender]) return reject('duplicate-sender', m.sender);
        const expected = this.s.neighbours![m.sender]!.filter((v) => this.s.cohort!.includes(v));
        const owners = r.shares.map((e) => e.owner);
        if (owners.length !== expected.length || new Set(owners).size !== owners.length || owners.some((o) => !expected.includes(o)))
          return reject('wrong-recipients', 'one share per neighbour that completed round 1 is required');
        const surv = new Set(this.s.survivors);
        for (const e of r.shares) if (e.kind !== (surv.has(e.owner) ? 'b' : 's')) return reject('bad-share', `${e.kind}-share of ${e.owner}`);
        this.s.unmask[m.sender] = r.shares.map((e) => ({ owner: e.owner, kind: e.kind, share: e.share }));
        return { ok: true };
      }
    }
  }

  /** Ends round 0: fixes the cohort U1, k, t and the graph; one share-keys request per device. */
  async closeAdvertise(): Promise<Outcome<Record<string, ShareKeysRequest>>> {
    if (this.s.stage !== 'advertise-keys') return reject('out-of-order', `stage ${this.s.stage}`);
    const c = this.s.config;
    const participants = Object.keys(this.s.keys).sort();
    const n = participants.length;
    if (n < Math.max(3, c.minCohort)) return reject('cohort-too-small', `${n} devices advertised keys`);
    const chosen = c.k !== undefined && c.t !== undefined ? { k: c.k, t: c.t, feasible: true } : chooseParams(n, c.targets);
    const k = Math.min(c.k ?? chosen.k, n - 1), t = c.t ?? chosen.t;
    if (t > k) return reject('bad-params', `t ${t} > k ${k}`);
    const graph = await deriveGraph(c.roundId, c.seed, participants, k, this.backend);
    this.s = { ...this.s, stage: 'share-keys', participants, k, t, neighbours: Object.fromEntries(graph) };
    return { ok: true, message: requestsOf<ShareKeysRequest>(this.s, 'share-keys') };
  }

  /** Ends round 1: fixes U2; forwards to each device the envelopes addressed to it. */
  closeShareKeys(): Outcome<Record<string, MaskedInputRequest>> {
    if (this.s.stage !== 'share-keys') return reject('out-of-order', `stage ${this.s.stage}`);
    const cohort = Object.keys(this.s.shared).sort();
    if (cohort.length < this.s.config.minCohort) return reject('cohort-too-small', `${cohort.length} devices shared keys`);
    this.s = { ...this.s, stage: 'masked-input', cohort };
    return { ok: true, message: requestsOf<MaskedInputRequest>(this.s, 'masked-input') };
  }

  /** Ends round 2: fixes the survivors U3 (masked input arrived); one unmasking request per survivor. */
  closeMaskedInput(): Outcome<Record<string, UnmaskRequest>> {
    if (this.s.stage !== 'masked-input') return reject('out-of-order', `stage ${this.s.stage}`);
    const survivors = [...this.s.masked].sort();
    if (survivors.length < this.s.config.minCohort) return reject('cohort-too-small', `${survivors.length} masked inputs arrived`);
    this.s = { ...this.s, stage: 'unmasking', survivors };
    return { ok: true, message: requestsOf<UnmaskRequest>(this.s, 'unmasking') };
  }

  /** Ends round 3: rebuilds b of each survivor and s_sk of each dropped device, removes their masks, outputs the sum. */
  async finish(): Promise<Outcome<SecAggResult>> {
    if (this.s.stage !== 'unmasking') return reject('out-of-order', `stage ${this.s.stage}`);
    const { roundId, d, bits } = this.s.config;
    const t = this.s.t!, cohort = this.s.cohort!, survivors = this.s.survivors!;
    const surv = new Set(survivors);
    const got = new Map<string, Uint8Array[]>();
    for (const sender of Object.keys(this.s.unmask).sort())
      for (const e of this.s.unmask[sender]!) {
        const list = got.get(e.owner) ?? [];
        list.push(fromB64(e.share)!);
        got.set(e.owner, list);
      }
    // Secrets to rebuild: b of every survivor, s_sk of every dropped device some survivor masked with.
    const needed = cohort.filter((u) => surv.has(u) || this.s.neighbours![u]!.some((v) => surv.has(v)));
    for (const u of needed) if ((got.get(u)?.length ?? 0) < t) return reject('below-threshold', `${got.get(u)?.length ?? 0} shares of ${u}, t = ${t}`);
    const secrets = new Map<string, Uint8Array>();
    for (const u of needed) {
      const secret = await reconstructSecret(got.get(u)!, t);
      if (!secret) return reject('below-threshold', `shares of ${u} are not usable`);
      secrets.set(u, secret);
    }
    const acc = this.acc ? this.acc.slice() : wide(d, bits);
    const jobs: MaskJob[] = [];
    for (const u of needed) {
      const secret = secrets.get(u)!;
      if (surv.has(u)) {
        if (commitB(roundId, u, secret) !== this.s.shared[u]!.bCommit) return reject('reconstruction-failed', `b of ${u} does not match its commitment`);
        jobs.push({ key: selfMaskKey(secret, roundId), sign: -1 });
      }
    }
    // Dropped devices 16 at a time: their X25519 batches in flight together (a threaded or async backend runs them
    // in parallel), then their masks, expanded concurrently while the additions run here.
    const dropped = needed.filter((u) => !surv.has(u));
    for (let at = 0; at < dropped.length; at += 16) {
      const batch = await Promise.all(dropped.slice(at, at + 16).map(async (u) => {
        const secret = secrets.get(u)!;
        if (!bytesEqual(await publicKeyOf(secret, this.backend), fromB64(this.s.keys[u]!.sPk)!)) return u;
        const peers = this.s.neighbours![u]!.filter((v) => surv.has(v));
        const shared = await this.backend.agreeMany(secret, peers.map((v) => fromB64(this.s.keys[v]!.sPk)!));
        // v added sign_v · PRG(s_uv) with sign_v = +1 iff v < u; u's own term never arrived: adding u's sign cancels it.
        jobs.push(...await pairMaskJobs(shared, u, peers, roundId, this.backend));
        return undefined;
      }));
      const bad = batch.find((u) => u !== undefined);
      if (bad) return reject('reconstruction-failed', `s key of ${bad} does not match its public key`);
      await addMasks(acc, jobs.splice(0), bits, this.backend);
    }
    await addMasks(acc, jobs, bits, this.backend);
    const sum = narrow(acc, bits);
    this.s = { ...this.s, stage: 'done' };
    return { ok: true, message: { sum, survivors } };
  }

  toJSON(): ServerState {
    const out = JSON.parse(JSON.stringify(this.s)) as ServerState;
    if (this.acc) out.sum = encodeVector(narrow(this.acc, this.s.config.bits), this.s.config.bits);
    return out;
  }
  static fromJSON(state: ServerState, backend?: SecAggBackend): SecAggServer { return new SecAggServer(JSON.parse(JSON.stringify(state)) as ServerState, backend); }
}
