/**
 * The federated client in the SDK worker: takes part in the aggregator's rounds with on-device training.
 *
 * WHEN IT RUNS. Only when every one of these holds (checked before each attempt and again right before the
 * upload): `mode: 'federated'` with an `aggregatorUrl`; `training` consent granted; no Global Privacy
 * Control and no Do Not Track (the page already forces `training` off for them; checked here again); the
 * page is idle or hidden (the page's hint); this worker holds the Web Lock (one tab at a time; no Web Locks
 * API → no training); the privacy budget allows one more upload; IndexedDB can hold the accountant's state.
 * In `mode: 'on-device'` (the default) the page never sends a hint and this code never makes a request.
 *
 * ONE ROUND. GET the open round → (new base version? ask the model side to reload the verified model) → check
 * the round against the policy the page pinned (`checkRound`: own noise ≥ the floor, the pinned clip bound,
 * cohort, trainable tensors, a known recipe, ε per upload; a refusal is recorded with its reason) → fetch and
 * verify the base version (and refuse one published from a cohort below the minimum) → flip the round's
 * sampling coin once (persisted first; it only paces the device, no ε is credited for it) → train locally
 * with the round's recipe on the model's item counts (`localTrain`; a history with fewer than two known items
 * gives a zero delta, so whether the device takes part never depends on its history) → clip to C, add
 * N(0, (zC)²), int8 stochastic quantisation, random idempotency key (`makeUpdate`) → record the upload's ε
 * and persist it → POST with `uploadUpdate` (retries only network errors/408/429/5xx, never past the round's
 * deadline; a retry sends the same bytes). Every request body is logged byte for byte before it is sent
 * (`audit().outbound`).
 *
 * A SECURE-AGGREGATION ROUND (the round announces `secagg`) is taken only when the page pins a `secagg` policy:
 * `checkRound(round, policy, {updateDim})` checks it against that part (cohort, k, t, modulus, grid, wrap-around,
 * ε per upload of the device's own noise share σ_dev), the budget must allow its ε, the layout must be the device's;
 * training is the same; then `perch-secagg.js` is loaded (only now) and encodes the clipped delta with the
 * distributed discrete Gaussian and runs the four SecAgg+ steps (secagg-round.ts). The upload's ε is recorded and
 * persisted before the masked vector is made; every step's body is logged before it is sent, as above. Before its
 * unmasking shares leave, the device persists the count and hash of the survivor set it unmasks for; on a later poll
 * it compares them with the signed version the round published, and on a mismatch records the refusal
 * `secagg_survivors_mismatch` and takes part in no further secure-aggregation round of that aggregator (survivors.ts).
 *
 * PRIVACY (full text: docs/threat-model.md; maths: @perch/learn/privacy): the ε this device shows, budgets and
 * stops on is its ε against the aggregator for the noise it added itself (`DeviceAccountant`: replace-one,
 * no sampling or central-noise credit), at the pinned δ. Not protected: participation and its timing, IP
 * address and other request metadata, sybil devices, a malicious shop serving other code. `forget()` stops a
 * running attempt before its next request, erases the outbound log but keeps ε spent and the refusals (they hold
 * no behaviour; resetting ε would let a loop of forgets exceed the budget).
 */
import type { VocabJson } from '@perch/model/export';
import { makeUpdate, localTrain, readItemCounts, roundLayout, type RoundDescription, uploadUpdate } from '@perch/learn/client';
import {
  shouldParticipate, DeviceAccountant, checkRound, publishedCohortProblem, type PrivacyPolicy, cryptoRng, type SecAggRoundAccepted,
} from '@perch/learn/privacy';
import { makeLayout, selectTensors } from '@perch/learn/update';
import { SHARED_DENSE_WEIGHTS, weightShapes } from '@perch/model/spec';
import type { PerchEvent } from '../../shared/events/index.js';
import { federatedDefaults, trainingBlocked, type FederatedHint, type FederatedStatus } from '../../shared/federated/api.js';
import type { AuditPrivacy, LocalTrainingReport, OutboundLogEntry } from '../../types.js';
import { baseModel, publishedManifest } from './base-model.js';
import { asLeader } from './leader.js';
import { describeFailure, timedFetch, TIMEOUT_MS } from '../net/timed-fetch.js';
import { logEntry } from './outbound.js';
import { emptyRecord, FederatedPersist, type FederatedRecord } from './persist.js';
import { loadSecAgg } from './secagg-script.js';
import { deviceSequence } from './sequence.js';
import { distrustOf, expectSurvivors, runSurvivorChecks } from './survivors.js';

export interface FederatedDeps {
  dbName: string;
  /** The device's stored events, oldest first (through the store API). */
  events(): Promise<PerchEvent[]>;
  /** Version of the model the rerank side uses now, or null. */
  modelVersion(): Promise<string | null>;
  /** Ask the model side to revalidate and load the aggregator's newer version (verified by its sha256). */
  refreshModel(): void;
}

/** A round closer than this to its deadline is skipped: training and upload would likely miss it. */
const MIN_TIME_LEFT_MS = 2_000;

function itemAttrs(vocab: VocabJson, numItems: number): { attrOffsets: Int32Array; attrIds: Int32Array } {
  const offsets = new Int32Array(numItems + 2);
  for (let i = 0; i <= numItems; i++) offsets[i + 1] = offsets[i]! + (vocab.itemAttrs[i]?.length ?? 0);
  const ids = new Int32Array(offsets[numItems + 1]!);
  for (let i = 0; i <= numItems; i++) ids.set(vocab.itemAttrs[i] ?? [], offsets[i]!);
  return { attrOffsets: offsets, attrIds: ids };
}

export class FederatedClient {
  private hint: FederatedHint | null = null;
  private state = 'no page hint yet';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private lastAttempt = -Infinity;
  private record: FederatedRecord = emptyRecord();
  private lastTraining: LocalTrainingReport | undefined;
  /**
   * The running attempt's record and log: `status()` shows the log before the attempt ends and saves it (a
   * secure-aggregation round takes minutes), and `forgotten()` empties both.
   */
  private live: { rec: FederatedRecord; log: OutboundLogEntry[] } | null = null;
  /** How many times `forget()` ran: an attempt that sees it change sends nothing more (its delta came from erased data). */
  private forgets = 0;
  private readonly persist: FederatedPersist;

  constructor(private readonly deps: FederatedDeps) {
    this.persist = new FederatedPersist(`${deps.dbName}:federated`);
  }

  /** The page's latest view: (re)schedules or cancels the next attempt. */
  setHint(h: FederatedHint): void {
    this.hint = h;
    this.schedule();
  }

  async status(): Promise<FederatedStatus> {
    if (this.hint?.mode === 'federated' || await this.persist.exists()) {
      try { this.record = await this.persist.load(); } catch { /* keep the in-memory copy */ }
    }
    return {
      outbound: this.live ? [...this.live.rec.outbound, ...this.live.log] : this.record.outbound.slice(), privacy: privacyOf(this.accountant(this.record, this.policy)), refusals: (this.record.refusals ?? []).slice(),
      state: this.state, uploads: this.record.uploads, ...(this.lastTraining ? { lastTraining: this.lastTraining } : {}),
    };
  }

  /**
   * `forget()`: the running attempt sends nothing more (a secure-aggregation round stops before its next step, as
   * when consent is withdrawn); the transparency log goes with the data; ε spent stays (see the threat model above).
   */
  async forgotten(): Promise<void> {
    this.forgets++;
    if (this.live) { this.live.rec.outbound = []; this.live.log.splice(0); }
    if (!(await this.persist.exists())) return;
    try {
      const r = await this.persist.load();
      this.record = { ...r, outbound: [] };
      await this.persist.save(this.record);
    } catch { /* nothing stored */ }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.hint = null;
    this.persist.close();
  }

  private schedule(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const blocked = trainingBlocked(this.hint);
    if (blocked) { this.state = blocked; return; }
    if (this.running) return; // re-scheduled when it ends
    const wait = Math.max(0, this.lastAttempt + this.hint!.tuning.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.attempt()
        .catch((e: unknown) => { this.state = `error: ${(e as Error)?.message ?? String(e)}`; })
        .finally(() => { this.running = null; this.lastAttempt = Date.now(); this.schedule(); });
    }, wait);
  }

  /** The policy the page pinned (the defaults until a hint arrived). */
  private get policy(): PrivacyPolicy { return (this.hint?.tuning ?? federatedDefaults).policy; }

  private accountant(r: FederatedRecord, p: PrivacyPolicy): DeviceAccountant {
    return new DeviceAccountant(p, r.accountant ?? undefined);
  }

  /** A round refused under the policy: once per round, in the record (shown by audit) and on the log entry of its GET. */
  private refuse(rec: FederatedRecord, roundId: number, code: string, reason: string, entry: OutboundLogEntry | undefined): void {
    this.state = `refused round ${roundId}: ${reason}`;
    if (entry) entry.refused = reason;
    const refusals = rec.refusals ?? (rec.refusals = []);
    if (!refusals.some((r) => r.round === roundId && r.code === code)) refusals.push({ ts: Date.now(), round: roundId, code, reason });
  }

  private async attempt(): Promise<void> {
    const out = await asLeader(this.deps.dbName, async () => {
      const rec = await this.persist.load(); // fresh: another tab may have taken part since
      const log: OutboundLogEntry[] = [];
      this.live = { rec, log };
      try {
        await this.round(rec, log);
      } finally {
        this.live = null;
        rec.outbound = [...rec.outbound, ...log];
        this.record = rec;
        await this.persist.save(rec);
      }
    });
    if (!out.ran) this.state = out.reason;
  }

  /** GETs a JSON document, logged before the request leaves; a failed or timed-out exchange is noted in the log. */
  private async getJson(log: OutboundLogEntry[], url: string): Promise<{ status: number; json?: unknown }> {
    const entry = logEntry(url, 'GET', null);
    log.push(entry);
    try {
      const res = await timedFetch(url, { method: 'GET', credentials: 'omit', cache: 'no-store' }, TIMEOUT_MS.json);
      entry.status = res.status;
      return res.ok ? { status: res.status, json: await res.json() } : { status: res.status };
    } catch (e) {
      entry.error = describeFailure(e);
      throw e;
    }
  }

  private async round(rec: FederatedRecord, log: OutboundLogEntry[]): Promise<void> {
    const h = this.hint!;
    const url = h.aggregatorUrl!;
    const policy = h.tuning.policy;
    const forgets = this.forgets;
    const erased = (): string | null => (this.forgets !== forgets ? 'forget() erased the data it trained on' : null);
    const acc = this.accountant(rec, policy);
    rec.accountant = acc.toJSON(); // a tighter budget or δ from this page is kept from now on (saved by attempt())
    // The round is read even past the budget: it is how this tab learns that a newer model was published.
    const res = await this.getJson(log, `${url}/v1/round`);
    const polled = log.at(-1);
    if (res.json === undefined) { this.state = `no open round (HTTP ${res.status})`; return; }
    const round = res.json as RoundDescription;
    if (String(round.baseVersion) !== (await this.deps.modelVersion())) this.deps.refreshModel();
    await this.checkSurvivors(rec, url, round);
    // Even the cheapest round the policy allows would pass the budget: the device is done for good.
    if (!acc.canUpload(policy.minNoiseMultiplier)) { this.state = 'privacy budget exhausted'; return; }
    if (!Number.isSafeInteger(round.roundId) || round.roundId <= rec.lastRound) { this.state = `waiting for the round after ${rec.lastRound}`; return; }
    const deadline = Date.parse(round.deadline);
    if (round.status !== 'open' || !(deadline - Date.now() > MIN_TIME_LEFT_MS)) { this.state = 'round closing'; return; }
    // A secure-aggregation round is checked against the policy's `secagg` part with the announced update length;
    // `roundLayout` below makes that length the device's own (same hash and size), so the encoding fits the delta.
    const check = checkRound(round, policy, { updateDim: round.layout?.size });
    // (The budget check above covers a local round too: checkRound accepts only z at or above that floor, which costs less.)
    if (!check.ok) { this.refuse(rec, round.roundId, check.code, check.reason, polled); return; }
    // An aggregator that summed a round over another survivor set than it told this device: no more secure aggregation with it.
    const distrust = check.mode === 'secagg' ? distrustOf(rec, url) : null;
    if (distrust) { this.refuse(rec, round.roundId, 'secagg_survivors_mismatch', `no secure aggregation with this aggregator: in round ${distrust.round}, ${distrust.reason}`, polled); return; }
    if (check.mode === 'secagg' && !acc.canUploadDdg(check.noise.accounting)) { this.state = 'privacy budget exhausted'; return; }

    if (!h.trust?.keys.length) { this.state = 'no pinned model key: not training'; return; } // docs/threat-model.md, "Signed model versions"
    const model = await baseModel(url, round.baseVersion, { trust: h.trust, dbName: this.deps.dbName });
    const cohort = publishedCohortProblem(model.manifest.hyperParameters, model.manifest.modelVersion, policy);
    if (cohort) { this.refuse(rec, round.roundId, 'cohort_run', cohort, polled); return; }
    const layout = roundLayout(round, makeLayout(weightShapes(model.dims), SHARED_DENSE_WEIGHTS));
    const seq = deviceSequence(await this.deps.events(), model.vocab);

    const rng = cryptoRng();
    // One coin per round, persisted before anything depends on it. It paces the device only: no ε is credited for it.
    rec.lastRound = round.roundId;
    await this.persist.save(rec);
    if (!shouldParticipate(check.q, rng)) { this.state = `not sampled in round ${round.roundId}`; return; }

    this.state = 'training';
    const recipe = check.recipe, counts = readItemCounts(model.vocab.itemCounts, model.dims.numItems);
    // Taking part must not depend on the history: with fewer than two known items the delta is zero (noise only).
    const t = seq.items.length >= 2
      ? localTrain(model.dims, model.weights, itemAttrs(model.vocab, model.dims.numItems), [seq], layout, { recipe, counts, gradClip: 5, seed: Math.floor(rng.next() * 2 ** 32) })
      : { delta: new Float32Array(layout.size), positions: 0 };
    this.lastTraining = { round: round.roundId, recipe, itemCounts: counts !== undefined, positions: t.positions };
    // A secure-aggregation round masks only the tensors the recipe trains (`ddg.tensors`, checked by checkRound).
    if (check.mode === 'secagg') { await this.secaggRound(rec, log, round, check, acc, selectTensors(t.delta, layout, check.secagg.ddg.tensors), erased); return; }
    if (check.mode !== 'local') return;
    // Client weight 1: the example count is not covered by DP (docs/threat-model.md §2).
    const { payload, bytes } = makeUpdate(t.delta, layout, {
      roundId: round.roundId, baseVersion: round.baseVersion, clipBound: policy.clipBound,
      noiseMultiplier: check.z, examples: 1, maxClientWeight: 1, rng,
    });
    // A random wait before the upload: its time then says less about when the page went idle.
    const wait = Math.floor(rng.next() * Math.min(h.tuning.maxUploadDelayMs, Math.max(0, (deadline - Date.now()) / 2)));
    if (wait > 0) { this.state = 'waiting to upload'; await new Promise((r) => setTimeout(r, wait)); }
    const now = erased() ?? trainingBlocked(this.hint);
    if (now && now !== 'page active') { this.state = `dropped before upload: ${now}`; return; }

    // The upload's ε is recorded and persisted before its bytes can leave: a crash can only over-count.
    acc.recordUpload(check.z, check.centralZ);
    rec.accountant = acc.toJSON();
    await this.persist.save(rec);
    let current: OutboundLogEntry | null = null;
    const uploadUrl = new URL(round.uploadUrl, `${url}/`).href;
    const r = await uploadUpdate({
      url: uploadUrl, bytes, key: payload.key, deadline, rng,
      onSend: (b) => { current = logEntry(uploadUrl, 'POST', b); log.push(current); },
      fetch: async (u, init) => {
        try {
          const res = await timedFetch(u, { ...init, body: init.body as BodyInit, credentials: 'omit', cache: 'no-store' }, TIMEOUT_MS.upload);
          if (current) current.status = res.status;
          return res;
        } catch (e) {
          if (current) current.error = describeFailure(e);
          throw e;
        }
      },
    });
    if (r.outcome === 'accepted') rec.uploads++;
    this.state = r.outcome === 'accepted' ? `uploaded to round ${round.roundId}` : `upload ${r.outcome} (${'status' in r ? r.status : r.lastStatus ?? 'network'})`;
  }

  /**
   * The rounds this device released unmasking shares in, against the versions they published (survivors.ts), once
   * the announced base version is past theirs. Each manifest is verified (signature, in the device's log) before it
   * is read; one that cannot be had yet is looked at on a later poll. A mismatch is a refusal of that past round,
   * `secagg_survivors_mismatch`, and ends secure aggregation with this aggregator on this device.
   */
  private async checkSurvivors(rec: FederatedRecord, url: string, round: RoundDescription): Promise<void> {
    const trust = this.hint!.trust;
    if (!rec.survivorChecks?.some((c) => c.aggregator === url) || !trust?.keys.length || !Number.isSafeInteger(round.baseVersion)) return;
    const found = await runSurvivorChecks(rec, url, round.baseVersion, (v) => publishedManifest(url, v, { trust, dbName: this.deps.dbName }));
    for (const d of found) this.refuse(rec, d.round, 'secagg_survivors_mismatch', `secure aggregation: ${d.reason}`, undefined);
  }

  /**
   * A secure-aggregation round after local training: a random wait (bounded by the advertise stage), the page
   * conditions again, then `perch-secagg.js` (loaded now, not before) encodes the delta and runs the four steps.
   * Every body is logged, and the log persisted, before it leaves; the upload's ε is recorded and persisted before
   * the masked vector is made.
   */
  private async secaggRound(rec: FederatedRecord, log: OutboundLogEntry[], round: RoundDescription, check: SecAggRoundAccepted, acc: DeviceAccountant, delta: Float32Array, erased: () => string | null): Promise<void> {
    const h = this.hint!, sp = h.tuning.policy.secagg!;
    const advertiseBy = Date.parse(round.secagg!.deadlines.advertise);
    const wait = Math.floor(cryptoRng().next() * Math.min(h.tuning.maxUploadDelayMs, Math.max(0, (advertiseBy - Date.now()) / 2)));
    if (wait > 0) { this.state = 'waiting to upload'; await new Promise((r) => setTimeout(r, wait)); }
    const now = erased() ?? trainingBlocked(this.hint);
    if (now && now !== 'page active') { this.state = `dropped before upload: ${now}`; return; }
    if (!(advertiseBy > Date.now())) { this.state = 'round closing'; return; }
    const { runSecAggRound } = loadSecAgg();
    const kept = keptInputs();
    // The log so far is persisted before each body leaves: a page closed mid-round (a dropout) keeps what it sent.
    const persistLog = (): Promise<void> => this.persist.save({ ...rec, outbound: [...rec.outbound, ...log] });
    // The POST whose answer carried the step's request: a refused request is marked on it.
    let lastPost: OutboundLogEntry | undefined;
    const r = await runSecAggRound({
      base: h.aggregatorUrl!, round, accepted: check, policy: sp, delta,
      state: (st) => { this.state = st; },
      // Each step is sent only while the page still allows training (the page turning active does not stop a round)
      // and no forget() erased the data since the attempt began.
      blocked: () => { const b = erased() ?? trainingBlocked(this.hint); return b && b !== 'page active' ? b : null; },
      record: async () => {
        acc.recordDdgUpload(check.noise.accounting);
        rec.accountant = acc.toJSON();
        await persistLog();
      },
      post: async (url, body, contentType, token, timeoutMs) => {
        const entry = logEntry(url, 'POST', body);
        log.push(entry);
        lastPost = entry;
        await persistLog().catch(() => { /* the log in memory still holds it; audit() shows it */ });
        try {
          const res = await timedFetch(url, {
            method: 'POST', body: body as BodyInit, credentials: 'omit', cache: 'no-store',
            headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
          }, timeoutMs);
          entry.status = res.status;
          return res;
        } catch (e) {
          entry.error = describeFailure(e);
          throw e;
        }
      },
      // What the version this round publishes must state, persisted before the shares leave.
      unmasking: async (u) => {
        expectSurvivors(rec, { aggregator: h.aggregatorUrl!, round: round.roundId, baseVersion: round.baseVersion, ...u });
        await persistLog();
      },
      ...(kept ? { keep: (roundId: number, values: Uint32Array) => { kept.push({ round: roundId, values: Array.from(values) }); } } : {}),
    });
    if (r.outcome === 'done') { rec.uploads++; this.state = `summed in round ${round.roundId}`; return; }
    if (r.outcome === 'refused') {
      this.refuse(rec, round.roundId, `secagg_${r.reason}`, `secure aggregation, ${r.step}: ${r.detail}`, lastPost);
      return;
    }
    this.state = r.outcome === 'stopped' ? `secure aggregation stopped before ${r.step}: ${r.reason}` : `secure aggregation ${r.step} failed (${r.status ?? 'network'}): ${r.detail}`;
  }
}

/** Test hook (`__test.keepSecAggInput`): the encoded vectors of this worker's secure-aggregation rounds. */
type KeptInputs = { round: number; values: number[] }[];
const keptInputs = (): KeptInputs | undefined => {
  const v = (globalThis as { __perchSecAggInputs?: unknown }).__perchSecAggInputs;
  return Array.isArray(v) ? v as KeptInputs : undefined;
};

/** What `audit().privacy` shows of an accountant. */
function privacyOf(acc: DeviceAccountant): AuditPrivacy {
  const server = acc.epsilonServer();
  return {
    epsilonServer: server, epsilonPublished: acc.epsilonPublished(), epsilonBudget: acc.budget, delta: acc.delta, uploads: acc.uploads,
    ...(acc.ddgUploads > 0 ? { secaggUploads: acc.ddgUploads, epsilonAlone: acc.epsilonAlone() } : {}),
  };
}
