/**
 * The device's side of SecAgg+ as a state machine over the messages of `messages.ts`: each step takes the server's
 * request, checks it against the device's policy and what the device already did, and answers or refuses with a
 * reason. What the device enforces itself, because the server is not trusted to:
 * - share keys: the cohort is at least `minCohort`; k and t are at least what the policy's targets require for
 *   that cohort (`params.ts`); the neighbour list is exactly the graph the device derives from the public seed and
 *   the participant list (`graph.ts`);
 * - masked input: the cohort U2 is part of the participant list of share keys and at least `minCohort`; every
 *   neighbour the server says completed round 1 sent this device an envelope that opens (AES-GCM tag bound to
 *   round, sender and recipient), and at least t of them did;
 * - unmasking: the device is a survivor, the survivor set is part of U2 and at least `minCohort`, at least t
 *   neighbours survived,
 *   and for each neighbour it releases the b-share (survived) or the s-share (dropped), never both across the
 *   round: what it released is remembered, and a request that would give the other share is refused whole.
 * State is plain JSON (`toJSON`/`fromJSON`); secrets the device no longer needs are erased after masking.
 */
import { encodeVector, fromB64, fromB64Len, toB64, utf8 } from './bytes.js';
import { generateKeyPair, hkdfMany, open, randomBytes, seal, webCryptoBackend, type SecAggBackend } from './crypto.js';
import { deriveNeighbours } from './graph.js';
import { addMasks, commitB, narrow, pairMaskJobs, selfMaskKey, wide } from './masking.js';
import {
  envelopeAad, KEY_BYTES, reject,
  type AdvertiseKeys, type AdvertiseKeysRequest, type MaskedInput, type MaskedInputRequest, type Outcome,
  type PublicKeys, type RoundConfig, type ShareKeys, type ShareKeysRequest, type Unmask, type UnmaskRequest,
} from './messages.js';
import { chooseParams, DEFAULT_TARGETS, MAX_DEGREE, MIN_THRESHOLD, type SecurityTargets } from './params.js';
import { SECRET_BYTES, SHARE_BYTES, shareSecret } from './shamir.js';

export interface DevicePolicy {
  /** Smallest cohort (participants, survivors) the device takes part in. */
  minCohort: number;
  /** Targets the required k and t are computed from for the announced cohort size. */
  targets?: SecurityTargets;
  /** Fixed smallest degree and threshold instead of the targets' (small test cohorts, pinned deployments). */
  minDegree?: number;
  minThreshold?: number;
}

type DeviceStep = 'new' | 'advertised' | 'shared' | 'masked' | 'unmasked';

export interface DeviceState {
  id: string;
  policy: DevicePolicy;
  step: DeviceStep;
  config?: RoundConfig;
  keys?: { cPk: string; cSk: string; sPk: string; sSk: string };
  /** Self-mask seed b (erased after masking). */
  b?: string;
  k?: number;
  t?: number;
  neighbours?: PublicKeys[];
  /** U1 (share keys) and U2 (masked input) as the server announced them: a later set must be part of the earlier. */
  participants?: string[];
  cohort?: string[];
  /** The AES-GCM envelope key shared with each neighbour (derived in share keys, erased after masking). */
  envelopeKeys?: Record<string, string>;
  /** Decrypted shares held for each neighbour that completed round 1. */
  held?: Record<string, { b: string; s: string }>;
  /** What this device released for each neighbour. */
  released: Record<string, 'b' | 's'>;
}

const isSortedUnique = (a: unknown): a is string[] =>
  Array.isArray(a) && a.every((x, i) => typeof x === 'string' && (i === 0 || (a[i - 1] as string) < x));

/** The AES-GCM keys of the envelopes between a device and each peer (symmetric: both derive them from X25519 of
 * their c keys). */
function deriveEnvelopeKeys(shared: readonly Uint8Array[], me: string, peers: readonly string[], roundId: string, backend: SecAggBackend): Promise<Uint8Array[]> {
  return hkdfMany(peers.map((peer, i) => {
    const [lo, hi] = me < peer ? [me, peer] : [peer, me];
    return { ikm: shared[i]!, info: ['envelope', roundId, lo, hi] };
  }), backend);
}

export class SecAggDevice {
  private constructor(private s: DeviceState, private backend: SecAggBackend = webCryptoBackend) {}

  /** `backend` replaces the Web Crypto X25519 and mask expansion (tests and simulators in Node). */
  static create(id: string, policy: DevicePolicy, backend?: SecAggBackend): SecAggDevice {
    return new SecAggDevice({ id, policy: { ...policy }, step: 'new', released: {} }, backend);
  }

  get id(): string { return this.s.id; }

  /** Round 0: checks the round constants and makes the two ephemeral key pairs. */
  async advertiseKeys(req: AdvertiseKeysRequest): Promise<Outcome<AdvertiseKeys>> {
    if (req?.step !== 'advertise-keys') return reject('out-of-order', `expected advertise-keys, got ${String(req?.step)}`);
    if (this.s.step !== 'new') return reject('out-of-order', `device is at ${this.s.step}`);
    const { roundId, seed, bits, d } = req;
    if (typeof roundId !== 'string' || !roundId) return reject('malformed', 'roundId');
    if (!fromB64Len(seed, 32)) return reject('bad-encoding', 'seed');
    if (!Number.isInteger(bits) || bits < 1 || bits > 32) return reject('bad-params', `bits ${bits}`);
    if (!Number.isInteger(d) || d < 1) return reject('bad-params', `d ${d}`);
    const c = await generateKeyPair(), s = await generateKeyPair();
    this.s = {
      ...this.s, step: 'advertised', config: { roundId, seed, bits, d },
      keys: { cPk: toB64(c.publicKey), cSk: toB64(c.secretKey), sPk: toB64(s.publicKey), sSk: toB64(s.secretKey) },
    };
    return { ok: true, message: { step: 'advertise-keys', roundId, sender: this.s.id, cPk: this.s.keys!.cPk, sPk: this.s.keys!.sPk } };
  }

  /** Round 1: checks cohort, k, t and the graph; Shamir-shares b and s_sk; seals one share pair per neighbour. */
  async shareKeys(req: ShareKeysRequest): Promise<Outcome<ShareKeys>> {
    const cfg = this.s.config;
    if (req?.step !== 'share-keys' || this.s.step !== 'advertised' || !cfg || !this.s.keys) return reject('out-of-order', `share-keys at ${this.s.step}`);
    if (req.roundId !== cfg.roundId) return reject('wrong-round', `round ${String(req.roundId)}`);
    const { k, t, participants, neighbours } = req;
    if (!isSortedUnique(participants) || !participants.includes(this.s.id)) return reject('malformed', 'participants must be sorted, unique and include this device');
    const n = participants.length;
    if (n < Math.max(3, this.s.policy.minCohort)) return reject('cohort-too-small', `${n} participants`);
    if (!Number.isInteger(k) || !Number.isInteger(t) || k > MAX_DEGREE || t > k || t < MIN_THRESHOLD) return reject('bad-params', `k ${k}, t ${t}`);
    const req2 = this.required(n);
    if (!req2) return reject('cohort-too-small', `the policy's targets cannot be met with ${n} participants`);
    if (k < req2.k) return reject('degree-too-low', `k ${k} < ${req2.k}`);
    if (t < req2.t) return reject('threshold-too-low', `t ${t} < ${req2.t}`);
    const derived = (await deriveNeighbours(cfg.roundId, cfg.seed, participants, k, this.s.id, this.backend))!;
    if (!Array.isArray(neighbours) || neighbours.length !== derived.length || neighbours.some((p, i) => p?.id !== derived[i]))
      return reject('graph-mismatch', 'the neighbour list is not the graph derived from the seed and participants');
    for (const p of neighbours) {
      const c = fromB64Len(p.cPk, KEY_BYTES), s = fromB64Len(p.sPk, KEY_BYTES);
      if (!c || !s) return reject('bad-key', `keys of ${p.id}`);
      if (p.cPk === this.s.keys.cPk || p.sPk === this.s.keys.sPk) return reject('bad-key', `${p.id} reflects this device's key`);
    }
    const b = randomBytes(SECRET_BYTES);
    const sSk = fromB64(this.s.keys.sSk)!, cSk = fromB64(this.s.keys.cSk)!;
    const bShares = await shareSecret(b, neighbours.length, t);
    const sShares = await shareSecret(sSk, neighbours.length, t);
    let agreed: Uint8Array[];
    try { agreed = await this.backend.agreeMany(cSk, neighbours.map((p) => fromB64(p.cPk)!)); } catch { return reject('bad-key', 'a neighbour\'s c key is of low order'); }
    const keys = await deriveEnvelopeKeys(agreed, this.s.id, neighbours.map((p) => p.id), cfg.roundId, this.backend);
    const shares: ShareKeys['shares'] = await Promise.all(neighbours.map(async (p, i) => {
      const pt = new Uint8Array(2 * SHARE_BYTES);
      pt.set(bShares[i]!, 0); pt.set(sShares[i]!, SHARE_BYTES);
      const env = await seal(keys[i]!, pt, utf8(JSON.stringify(envelopeAad(cfg.roundId, this.s.id, p.id))));
      return { to: p.id, envelope: toB64(env) };
    }));
    const bCommit = commitB(cfg.roundId, this.s.id, b);
    const envelopeKeys = Object.fromEntries(neighbours.map((p, i) => [p.id, toB64(keys[i]!)]));
    this.s = { ...this.s, step: 'shared', k, t, participants: [...participants], neighbours: neighbours.map((p) => ({ id: p.id, cPk: p.cPk, sPk: p.sPk })), b: toB64(b), envelopeKeys };
    return { ok: true, message: { step: 'share-keys', roundId: cfg.roundId, sender: this.s.id, bCommit, shares } };
  }

  /**
   * Round 2: opens the envelopes from the neighbours in U2 and masks x (values in [0, 2^bits), length d).
   * `beforeMask` runs once every check passed and before the masked vector is computed (the SDK records the
   * upload's ε there): a refused request costs the device nothing.
   */
  async maskedInput(req: MaskedInputRequest, x: Uint32Array, beforeMask?: () => Promise<void>): Promise<Outcome<MaskedInput>> {
    const cfg = this.s.config, keys = this.s.keys, nb = this.s.neighbours;
    if (req?.step !== 'masked-input' || this.s.step !== 'shared' || !cfg || !keys || !nb || !this.s.b) return reject('out-of-order', `masked-input at ${this.s.step}`);
    if (req.roundId !== cfg.roundId) return reject('wrong-round', `round ${String(req.roundId)}`);
    if (!isSortedUnique(req.cohort) || !req.cohort.includes(this.s.id)) return reject('malformed', 'cohort must be sorted, unique and include this device');
    const u1 = new Set(this.s.participants ?? []);
    const outside = req.cohort.find((id) => !u1.has(id));
    if (outside !== undefined) return reject('not-a-participant', `${outside} is in the cohort but was not a participant of share keys`);
    if (req.cohort.length < this.s.policy.minCohort) return reject('cohort-too-small', `${req.cohort.length} completed round 1`);
    if (!(x instanceof Uint32Array) || x.length !== cfg.d || x.some((v) => v >= 2 ** cfg.bits)) return reject('bad-input', `x must be ${cfg.d} values below 2^${cfg.bits}`);
    const inCohort = new Set(req.cohort);
    const live = nb.filter((p) => inCohort.has(p.id));
    if (live.length < this.s.t!) return reject('too-few-neighbours', `${live.length} neighbours completed round 1, t = ${this.s.t}`);
    const byFrom = new Map<string, string>();
    for (const e of Array.isArray(req.shares) ? req.shares : []) {
      if (typeof e?.from !== 'string' || byFrom.has(e.from) || !live.some((p) => p.id === e.from)) return reject('wrong-recipients', `envelope from ${String(e?.from)}`);
      byFrom.set(e.from, e.envelope);
    }
    const envKeys = this.s.envelopeKeys ?? {};
    for (const p of live) if (!byFrom.has(p.id)) return reject('missing-share', `no envelope from ${p.id}`);
    const opened = await Promise.all(live.map(async (p) => {
      const env = fromB64(byFrom.get(p.id)), key = fromB64Len(envKeys[p.id], 32);
      if (!env || !key) return undefined;
      try { return await open(key, env, utf8(JSON.stringify(envelopeAad(cfg.roundId, p.id, this.s.id)))); } catch { return undefined; }
    }));
    const held: Record<string, { b: string; s: string }> = {};
    for (let i = 0; i < live.length; i++) {
      const p = live[i]!, pt = opened[i];
      if (!pt || pt.length !== 2 * SHARE_BYTES) return reject('bad-share', `the envelope from ${p.id} does not open (forged, altered or replayed)`);
      held[p.id] = { b: toB64(pt.subarray(0, SHARE_BYTES)), s: toB64(pt.subarray(SHARE_BYTES)) };
    }
    await beforeMask?.();
    let agreed: Uint8Array[];
    try { agreed = await this.backend.agreeMany(fromB64(keys.sSk)!, live.map((p) => fromB64(p.sPk)!)); } catch { return reject('bad-key', 'a neighbour\'s s key is of low order'); }
    const jobs = [{ key: selfMaskKey(fromB64(this.s.b)!, cfg.roundId), sign: 1 as const }, ...await pairMaskJobs(agreed, this.s.id, live.map((p) => p.id), cfg.roundId, this.backend)];
    const acc = wide(cfg.d, cfg.bits, x);
    await addMasks(acc, jobs, cfg.bits, this.backend);
    // b, s_sk, c_sk and the envelope keys are no longer needed: the server rebuilds what it needs from shares.
    const { b: _b, envelopeKeys: _e, ...rest } = this.s;
    this.s = { ...rest, step: 'masked', cohort: [...req.cohort], held, keys: { cPk: keys.cPk, sPk: keys.sPk, cSk: '', sSk: '' } };
    return { ok: true, message: { step: 'masked-input', roundId: cfg.roundId, sender: this.s.id, y: encodeVector(narrow(acc, cfg.bits), cfg.bits) } };
  }

  /** Round 3: per neighbour that completed round 1, its b-share if it survived, its s-share if not; never both. */
  async unmask(req: UnmaskRequest): Promise<Outcome<Unmask>> {
    const cfg = this.s.config, held = this.s.held;
    if (req?.step !== 'unmasking' || (this.s.step !== 'masked' && this.s.step !== 'unmasked') || !cfg || !held) return reject('out-of-order', `unmasking at ${this.s.step}`);
    if (req.roundId !== cfg.roundId) return reject('wrong-round', `round ${String(req.roundId)}`);
    if (!isSortedUnique(req.survivors)) return reject('malformed', 'survivors must be sorted and unique');
    const survivors = new Set(req.survivors);
    if (!survivors.has(this.s.id)) return reject('not-a-survivor', 'this device is not in the survivor set');
    const u2 = new Set(this.s.cohort ?? []);
    const outside = req.survivors.find((id) => !u2.has(id));
    if (outside !== undefined) return reject('not-in-cohort', `${outside} is in the survivor set but did not complete share keys`);
    if (req.survivors.length < this.s.policy.minCohort) return reject('cohort-too-small', `${req.survivors.length} survivors`);
    const owners = Object.keys(held).sort();
    const alive = owners.filter((o) => survivors.has(o)).length;
    if (alive < this.s.t!) return reject('too-few-neighbours', `${alive} neighbours survived, t = ${this.s.t}`);
    const shares: Unmask['shares'] = [];
    for (const o of owners) {
      const kind = survivors.has(o) ? 'b' : 's';
      const before = this.s.released[o];
      if (before && before !== kind) return reject('both-shares', `already released the ${before}-share of ${o}`);
      shares.push({ owner: o, kind, share: held[o]![kind] });
    }
    const released = { ...this.s.released };
    for (const e of shares) released[e.owner] = e.kind;
    this.s = { ...this.s, step: 'unmasked', released };
    return { ok: true, message: { step: 'unmasking', roundId: cfg.roundId, sender: this.s.id, shares } };
  }

  /** The smallest k and t the policy accepts for a cohort of n, or undefined if its targets cannot be met. */
  private required(n: number): { k: number; t: number } | undefined {
    const p = this.s.policy;
    if (p.minDegree !== undefined && p.minThreshold !== undefined) return { k: Math.min(n - 1, p.minDegree), t: p.minThreshold };
    const c = chooseParams(n, p.targets ?? DEFAULT_TARGETS);
    if (!c.feasible) return undefined;
    return { k: Math.min(n - 1, p.minDegree ?? c.k), t: p.minThreshold ?? c.t };
  }

  toJSON(): DeviceState { return JSON.parse(JSON.stringify(this.s)) as DeviceState; }
  static fromJSON(state: DeviceState, backend?: SecAggBackend): SecAggDevice { return new SecAggDevice(JSON.parse(JSON.stringify(state)) as DeviceState, backend); }
}

