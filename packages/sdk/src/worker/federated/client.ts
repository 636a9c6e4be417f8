/**
 * The federated client in the SDK worker: takes part in the aggregator's rounds with on-device training.
 *
 * WHEN IT RUNS. Only when every one of these holds (checked before each attempt and again right before the
 * upload): `mode: 'federated'` with an `aggregatorUrl`; `training` consent granted; no Global Privacy
 * Control and no Do Not Track (the page already forces `training` off for them; checked here again); the
 * page is idle or hidden (the page's hint); this worker holds the Web Lock (one tab at a time; no Web Locks
 * API → no training); the privacy budget allows one more round; IndexedDB can hold the accountant's state.
 * In `mode: 'on-device'` (the default) the page never sends a hint and this code never makes a request.
 *
 * ONE ROUND. GET the open round → (new base version? ask the model side to reload the verified model) →
 * fetch and verify the base version → build the device's sequence from its stored events → flip the
 * sampling coin once for this round (recorded and persisted BEFORE anything is sent) → train locally with the
 * round's recipe on the model's item counts (`localTrain`, the layout's dense tensors only) → clip to C, add
 * N(0, (zC)²), int8 stochastic quantisation, random idempotency key (`makeUpdate`) → POST with
 * `uploadUpdate` (retries only network errors/408/429/5xx with jittered backoff or Retry-After, never past the
 * round's deadline: a delta expires with its round). Every request body is logged byte for byte before it is
 * sent (`audit().outbound`).
 *
 * THREAT MODEL AND DP ASSUMPTIONS (full text: docs/threat-model.md; maths: model/src/privacy/index.ts)
 * - What the server learns from an upload: a noised, clipped, int8-quantised delta of the SHARED DENSE
 *   weights (event/gap embeddings, GRU, output and intent/category heads), the round id, the base version,
 *   the layout hash, a capped example count (client weight) and a random key. Never item or attribute
 *   embedding rows or item_bias (which rows moved would name the items touched), item ids, list ids, events
 *   or timestamps: the wire format has no field for them. The server also sees the request's metadata: IP
 *   address, time, TLS size, user agent, and that this device took part at all.
 * - Unit of privacy: the device (user-level DP). The accountant (RDP of the sampled Gaussian mechanism,
 *   δ = 10⁻⁶) composes one mechanism (q, z) per round whose coin this device flipped, whether or not it
 *   then uploaded. z = √(z_client² + z_central²) (`accountedNoise`): the aggregator's announced central
 *   noise counts only under the TRUST ASSUMPTION that it adds it; it never hides an update from the
 *   aggregator itself (its view uses the client's own z alone). SAMPLING ASSUMPTION: the device takes part with probability q by its own private coin
 *   (Poisson sampling), independently of its data. Real availability is not random (only idle, consented
 *   leader tabs reach the coin, and a device with fewer than two known items never does), so the stated ε
 *   is an idealisation; it holds against observers of the published models, not against the aggregator,
 *   which sees who uploaded (its view: `serverViewEpsilon`, no amplification, much larger).
 * - Not protected: the example count (capped, not noised); participation and its timing; sybil devices;
 *   a malicious aggregator shipping other code or models; collusion with the model publisher; side channels
 *   (timing of local training, upload size is constant per layout). `forget()` erases the outbound log
 *   but keeps ε spent (it holds no behaviour, and resetting it would let a loop of forgets exceed the budget).
 * - Budget: past `epsilonBudget` (default ε = 8), or when one more round could overshoot it, the device
 *   stops contributing for good (`audit().privacy` shows ε spent, the budget and δ).
 */
import type { VocabJson } from '../../../../model/src/export/format.js';
import { makeUpdate } from '../../../../model/src/federated/client-update.js';
import { localTrain } from '../../../../model/src/federated/local-train.js';
import { readItemCounts, readRecipe } from '../../../../model/src/federated/recipe.js';
import { accountedNoise, roundLayout, type RoundDescription } from '../../../../model/src/federated/round.js';
import { uploadUpdate } from '../../../../model/src/federated/upload.js';
import { PrivacyAccountant } from '../../../../model/src/privacy/accountant.js';
import { makeLayout } from '../../../../model/src/privacy/flatten.js';
import { cryptoRng } from '../../../../model/src/privacy/rng.js';
import { SHARED_DENSE_WEIGHTS, weightShapes } from '../../../../model/src/spec.js';
import type { PerchEvent } from '../../shared/events/index.js';
import { DEFAULT_DELTA, DEFAULT_EPSILON_BUDGET, trainingBlocked, type FederatedHint, type FederatedStatus } from '../../shared/federated/api.js';
import type { LocalTrainingReport, OutboundLogEntry } from '../../types.js';
import { baseModel } from './base-model.js';
import { asLeader } from './leader.js';
import { describeFailure, timedFetch, TIMEOUT_MS } from '../net/timed-fetch.js';
import { logEntry } from './outbound.js';
import { emptyRecord, FederatedPersist, type FederatedRecord } from './persist.js';
import { deviceSequence } from './sequence.js';

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
    const budget = this.hint?.tuning.epsilonBudget ?? DEFAULT_EPSILON_BUDGET;
    const acc = this.accountant(this.record, budget);
    return {
      outbound: this.record.outbound.slice(),
      privacy: { epsilonSpent: acc.spent().epsilon, epsilonBudget: budget, delta: DEFAULT_DELTA },
      state: this.state, uploads: this.record.uploads, ...(this.lastTraining ? { lastTraining: this.lastTraining } : {}),
    };
  }

  /** `forget()`: the transparency log goes with the data; ε spent stays (see the threat model above). */
  async forgotten(): Promise<void> {
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

  private accountant(r: FederatedRecord, budget: number): PrivacyAccountant {
    const o = { epsilonBudget: budget, delta: DEFAULT_DELTA };
    return r.accountant ? PrivacyAccountant.fromJSON(r.accountant, o) : new PrivacyAccountant(o);
  }

  private async attempt(): Promise<void> {
    const out = await asLeader(this.deps.dbName, async () => {
      const rec = await this.persist.load(); // fresh: another tab may have taken part since
      const log: OutboundLogEntry[] = [];
      try {
        await this.round(rec, log);
      } finally {
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
    const acc = this.accountant(rec, h.tuning.epsilonBudget);
    // The round is read even past the budget: it is how this tab learns that a newer model was published.
    const res = await this.getJson(log, `${url}/v1/round`);
    if (res.json === undefined) { this.state = `no open round (HTTP ${res.status})`; return; }
    const round = res.json as RoundDescription;
    if (String(round.baseVersion) !== (await this.deps.modelVersion())) this.deps.refreshModel();
    if (!acc.canContribute()) { this.state = 'privacy budget exhausted'; return; }
    if (round.roundId <= rec.lastRound) { this.state = `waiting for the round after ${rec.lastRound}`; return; }
    const deadline = Date.parse(round.deadline);
    if (round.status !== 'open' || !(deadline - Date.now() > MIN_TIME_LEFT_MS)) { this.state = 'round closing'; return; }

    const model = await baseModel(url, round.baseVersion);
    const layout = roundLayout(round, makeLayout(weightShapes(model.dims), SHARED_DENSE_WEIGHTS));
    const seq = deviceSequence(await this.deps.events(), model.vocab);
    if (seq.items.length < 2) { this.state = 'not enough known items to train on'; return; }

    const rng = cryptoRng();
    const z = accountedNoise(round); // client noise and the aggregator's announced central noise
    const coin = acc.sample({ q: round.samplingProbability, z }, rng);
    if (coin === 'budget_exhausted') { this.state = 'privacy budget exhausted'; return; }
    // The coin is recorded and persisted before anything depends on it being sent.
    rec.accountant = acc.toJSON();
    rec.lastRound = round.roundId;
    await this.persist.save(rec);
    if (coin === 'skip') { this.state = `not sampled in round ${round.roundId}`; return; }

    this.state = 'training';
    // The round's recipe (bounded; the default for an aggregator that announces none), on the model's item counts.
    const recipe = readRecipe(round.local), counts = readItemCounts(model.vocab.itemCounts, model.dims.numItems);
    const t = localTrain(model.dims, model.weights, itemAttrs(model.vocab, model.dims.numItems), [seq], layout, {
      recipe, counts, gradClip: 5, seed: Math.floor(rng.next() * 2 ** 32),
    });
    this.lastTraining = { round: round.roundId, recipe, itemCounts: counts !== undefined, positions: t.positions };
    // With any DP noise on, the client weight is 1: the example count is not covered by DP (docs/threat-model.md §2).
    const { payload, bytes } = makeUpdate(t.delta, layout, {
      roundId: round.roundId, baseVersion: round.baseVersion, clipBound: round.clipBound,
      noiseMultiplier: round.noiseMultiplier, examples: z > 0 ? 1 : t.positions, maxClientWeight: round.maxClientWeight, rng,
    });
    // A random wait before the upload: its time then says less about when the page went idle.
    const wait = Math.floor(rng.next() * Math.min(h.tuning.maxUploadDelayMs, Math.max(0, (deadline - Date.now()) / 2)));
    if (wait > 0) { this.state = 'waiting to upload'; await new Promise((r) => setTimeout(r, wait)); }
    const now = trainingBlocked(this.hint);
    if (now && now !== 'page active') { this.state = `dropped before upload: ${now}`; return; }

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
}
