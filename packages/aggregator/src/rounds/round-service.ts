/**
 * Round lifecycle: one open round at a time. It closes when `targetClients` updates are accepted or at its
 * deadline (a DP round at its deadline only, see `dpRound`); with at least `minClients` it aggregates and
 * publishes base + delta as a new version, otherwise it fails and a new round opens on the same version. State lives in the store, so a restarted process
 * resumes the open round (or finishes a close interrupted by a crash: 'closing' rounds are re-aggregated).
 */
import { createHash, randomBytes } from 'node:crypto';
import { cryptoRng } from '@perch/learn/privacy';
import { expandTensors, type Layout, HEADER_BYTES } from '@perch/learn/update';
import { weightShapes, type ModelDims, type Weights } from '@perch/model/spec';
import type { Signer, VocabJson } from '@perch/model/export';
import { aggregate, releaseMean, roundWeighting, zeroFrozen, initialState, isStateful, serverStep, stateFromTensors, stateTensors, type ServerOptimizer, type ServerOptimizerState, payloadSource } from '@perch/learn/server';
import type { AggregatorConfig, RoundPolicy } from '../config.js';
import { problems, type Problem } from '../problem.js';
import { applyDelta, buildVersion, sharedLayout } from '../publish/publish.js';
import { loadSeedModel } from '../publish/seed.js';
import type { AggregatorStore, RoundRecord } from '../store/types.js';
import { checkAgainstRound, decodeOrProblem, headerKey } from './validate-upload.js';
import { Rng } from '@perch/model/rng';
import { SecAggRound, secaggProblem, type SecAggHost } from '../secagg/service.js';
import { newRoundParams } from '../secagg/params.js';

/** Length of a closing lease and period of the store watch, unless configured (`AggregatorConfig.instance`). */
const DEFAULT_LEASE_MS = 5_000;
const DEFAULT_POLL_MS = 500;

export interface Logger { info(o: object, msg?: string): void; error(o: object, msg?: string): void }
export type SubmitOutcome = { status: number; body: unknown; replayed: boolean } | { problem: Problem };

export class RoundService {
  private dims!: ModelDims;
  private layout!: Layout;
  private timer: NodeJS.Timeout | undefined;
  private watcher: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  /** The round this instance last began (armed, resumed or joined): the watcher begins any newer one. */
  private known: number | undefined;
  private stopped = false;
  private readonly policy: RoundPolicy;
  private readonly now: () => number;
  /** The open round's secure-aggregation state machine, when it is a secure-aggregation round. */
  private secagg: SecAggRound | undefined;

  /** @param signer signs every version this service publishes (and appends it to the version log). */
  constructor(private readonly store: AggregatorStore, private readonly config: AggregatorConfig, private readonly log: Logger, private readonly signer: Signer) {
    this.policy = config.round;
    this.now = config.now ?? Date.now;
  }

  /** This instance's closing lease: its id and the lease's length (docs/aggregator.md, "Several instances"). */
  private get lease() { return { owner: this.config.instance?.id ?? 'embedded', ms: this.config.instance?.leaseMs ?? DEFAULT_LEASE_MS }; }
  /** Period of the store watch, and how long an upload's view of its round is reused on a shared store. */
  private get pollMs(): number { return this.config.instance?.pollMs ?? DEFAULT_POLL_MS; }

  /** Seeds the store if empty, resumes or opens a round, and arms its deadline. */
  async start(): Promise<void> {
    let latest = await this.store.latestVersion();
    if (!latest) {
      const seed = await loadSeedModel(this.config.modelDir, this.config.seedDims);
      await this.store.seed(await buildVersion({ ...seed, version: 1, parent: null, round: null, now: this.now(), seal: { signer: this.signer, prev: null } }));
      latest = (await this.store.latestVersion())!;
    }
    // A database from before signing: its versions stay as they are; the log starts with the next one published.
    if (!latest.manifest.signature) this.log.info({ version: latest.version }, 'the current version is unsigned; the version log starts with the next one');
    this.dims = latest.dims;
    this.layout = sharedLayout(this.dims);
    const round = await this.store.openRound(this.newRound(latest.version));
    this.log.info({ round: round.id, status: round.status, version: latest.version, accepted: round.accepted }, 'round resumed or opened');
    await this.begin(round);
    this.watch();
  }

  /**
   * Every instance watches the shared store: a round another instance opened is begun here too (its deadline
   * armed), a round whose closer died (its lease expired) is taken over, and a full or overdue round that nobody
   * closes is closed. With one instance this only repeats what the timers do.
   */
  private watch(): void {
    const tick = async (): Promise<void> => {
      if (this.stopped || this.closing) return;
      const cur = await this.store.currentRound();
      if (!cur || this.stopped) return;
      if (cur.id !== this.known) return void (await this.begin(cur));
      if (this.secagg?.roundId === cur.id) return void (this.store.shared ? await this.secagg.sync() : undefined);
      if (cur.status === 'closing') { if (await this.store.leaseExpired(cur.id)) void this.close(cur.id, 'lease expired: taking over'); return; }
      if (this.closesAtTarget && cur.accepted >= this.policy.targetClients) void this.close(cur.id, 'target reached');
      else if (this.now() >= cur.deadline) void this.close(cur.id, 'deadline');
    };
    this.watcher = setInterval(() => void tick().catch((err: unknown) => this.log.error({ err }, 'watching the store failed')), this.pollMs);
    this.watcher.unref();
  }

  /**
   * Runs an opened or resumed round: a secure-aggregation round (it has a secagg row, or the policy asks for one
   * and the round is new) goes to its state machine; a plain round is armed or its interrupted close finished.
   */
  private async begin(round: RoundRecord): Promise<void> {
    if (this.stopped) return;
    this.known = round.id;
    this.views.clear();
    let row = await this.store.secaggRound(round.id);
    const s = this.policy.secagg;
    if (!row && s && round.status === 'open' && round.accepted === 0) {
      const params = newRoundParams(this.policy, s, round.id, this.layout, round.openedAt);
      row = await this.store.createSecAggRound(round.id, JSON.stringify(params), new Uint8Array(randomBytes(32)), Date.parse(params.deadlines.advertise));
    }
    if (row) {
      this.secagg = await SecAggRound.load(round.id, this.store, this.secaggHost);
      this.log.info({ round: round.id, stage: this.secagg.currentStage, received: this.secagg.received }, 'secure-aggregation round resumed or opened');
      // A close interrupted after it began: the same stored messages give the same outcome, so close it again.
      if (round.status === 'closing') void this.secagg.close(this.secagg.currentStage as 'unmasking', 'resume interrupted close');
      else this.secagg.start();
      return;
    }
    this.secagg = undefined;
    // Another instance may be closing it: `close` takes the round over only once that instance's lease expired.
    if (round.status === 'closing') void this.close(round.id, 'resume interrupted close');
    // A crash between the last accepted upload and the start of the close leaves a full open round.
    else if (this.closesAtTarget && round.accepted >= this.policy.targetClients) void this.close(round.id, 'target reached before restart');
    else this.arm(round);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.watcher) clearInterval(this.watcher);
    await this.secagg?.stop();
    await this.closing;
  }

  /** The state machine of round `id` if it is the open secure-aggregation round. */
  secaggFor(id: number): SecAggRound | undefined { return this.secagg?.roundId === id ? this.secagg : undefined; }

  private get secaggHost(): SecAggHost {
    return {
      log: this.log, now: this.now,
      closeAtTarget: this.policy.closeAtTarget ? this.policy.targetClients : undefined, shared: this.store.shared,
      end: (roundId, out) => this.endSecAgg(roundId, out),
    };
  }

  /**
   * The end of a secure-aggregation round: the decoded sum over the survivors is released over the fixed
   * denominator (unit weights, FedAvg, no central noise: the devices' noise is in the sum), as the DP path
   * releases its sum, then stepped and published; or the round fails with its reason. Either way the next round
   * opens in the same transaction.
   */
  private async endSecAgg(roundId: number, out: Parameters<SecAggHost['end']>[1]): Promise<void> {
    if (!(await this.store.beginClose(roundId, this.lease))) return;
    const round = (await this.store.getRound(roundId))!;
    const now = this.now();
    let next: RoundRecord;
    if (!out.ok) {
      next = await this.store.commitClose({ roundId, status: 'failed', closedAt: now, next: this.newRound(round.baseVersion), reason: out.reason, owner: this.lease.owner });
      this.log.info({ round: roundId, reason: out.reason, next: next.id }, 'secure-aggregation round failed');
    } else {
      const p = this.policy, count = out.survivors.length;
      const desc = this.secagg?.roundId === roundId ? this.secagg.desc : undefined;
      // The decoded sum covers the round's trained tensors (`ddg.tensors`); the others stay zero.
      const sum = expandTensors(out.sum, this.layout, out.tensors);
      const mean = new Float32Array(sum.length);
      for (let i = 0; i < mean.length; i++) mean[i] = sum[i]! / count;
      const { delta } = releaseMean(mean, { multiplier: 0, bound: p.clipBound, maxWeight: 1, totalWeight: count, denominator: p.targetClients, rng: cryptoRng() });
      const survivorsSha256 = createHash('sha256').update(JSON.stringify(out.survivors)).digest('hex');
      next = await this.publish(round, delta, count, now, {
        protocol: 'secagg+', survivors: count, survivorsSha256, participants: out.participants, cohort: out.cohort, sharesLeftOut: out.sharesLeftOut,
        ...(desc ? { bits: desc.bits, d: desc.d, gamma: desc.ddg.gamma, sigma: desc.ddg.sigma, rotationSeed: desc.ddg.rotationSeed, denominator: p.targetClients } : {}),
      });
      this.log.info({ round: roundId, survivors: count, version: next.baseVersion, next: next.id }, 'secure-aggregation round published a new model version');
    }
    await this.begin(next).catch((err: unknown) => this.log.error({ err, round: next.id }, 'opening the next round failed'));
  }

  get modelLayout(): Layout { return this.layout; }
  /**
   * A DP round (local or central noise; @perch/learn/server's aggregate/release.ts, docs/threat-model.md): every update counts
   * with weight 1 whatever weight it claims, FedAvg releases the sum over the fixed denominator `targetClients`,
   * and the round runs to its deadline unless the policy says `closeAtTarget`. An early close would make the set
   * of aggregated updates depend on arrival order: one more device could push another one out, which moves the
   * sum by up to 2B, not B. Uploads beyond `maxUpdatesPerRound` are still refused; keep it far above
   * `targetClients` (the chance that more devices than that flip "take part" adds to δ).
   */
  private get dpRound(): boolean { return this.policy.noiseMultiplier > 0 || this.policy.centralNoiseMultiplier > 0; }
  private get closesAtTarget(): boolean { return !this.dpRound || this.policy.closeAtTarget; }
  /** Update weights, the noise's weight bound and the release's denominator under the current policy. */
  private get weighting() {
    const p = this.policy;
    return roundWeighting({ dp: this.dpRound, rule: p.rule, maxClientWeight: p.maxClientWeight, expectedClients: p.targetClients });
  }
  /** Norm an honest noised upload stays under: C·sqrt(1 + z²·d) (clipped delta plus N(0,(zC)²) per coordinate). */
  get uploadBound(): number { return this.policy.clipBound * Math.sqrt(1 + this.policy.noiseMultiplier ** 2 * this.layout.size); }
  get maxBytes(): number { return HEADER_BYTES + 4 * this.layout.tensors.length + this.layout.size; }

  private newRound(baseVersion: number) {
    const now = this.now();
    const s = this.policy.secagg;
    // A secure-aggregation round ends with its last stage (secagg/params.ts: the stages run back to back).
    const length = s ? (s.stageMs.advertise ?? this.policy.durationMs) + s.stageMs.shareKeys + s.stageMs.maskedInput + s.stageMs.unmask : this.policy.durationMs;
    return { baseVersion, openedAt: now, deadline: now + length };
  }

  private arm(round: RoundRecord): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopped) return;
    const wait = Math.max(0, Math.min(round.deadline - this.now(), 2 ** 31 - 1));
    this.timer = setTimeout(() => void this.close(round.id, 'deadline'), wait);
    this.timer.unref();
  }

  /** Public description of the current round (GET /v1/round). */
  async info() {
    const r = (await this.store.currentRound())!;
    const p = this.policy;
    return {
      roundId: r.id, status: r.status, baseVersion: r.baseVersion, deadline: new Date(r.deadline).toISOString(),
      accepted: r.accepted, minClients: p.minClients, targetClients: p.targetClients,
      clipBound: p.clipBound, noiseMultiplier: p.noiseMultiplier, centralNoiseMultiplier: p.centralNoiseMultiplier, samplingProbability: p.samplingProbability,
      maxClientWeight: p.maxClientWeight, uploadNormBound: this.uploadBound * p.normTolerance, maxBytes: this.maxBytes,
      layout: { hash: this.layout.hash, size: this.layout.size, tensors: this.layout.tensors },
      local: { ...p.local },
      uploadUrl: `/v1/round/${r.id}/updates`,
      ...(this.secagg?.roundId === r.id ? { secagg: this.secagg.desc } : {}),
    };
  }

  /**
   * Validates and stores one upload; the answer is durable before it is returned. On a shared store (several
   * instances) the round is read through `roundView` and a stored copy is looked up only when the upload does not
   * pass the round's checks: the insert itself finds duplicates (replays), so the common case costs one write.
   */
  async submit(urlRoundId: number, bytes: Uint8Array, idempotencyHeader: string | string[] | undefined): Promise<SubmitOutcome> {
    const shared = this.store.shared;
    const view = await this.roundView(urlRoundId);
    // Under a secure-aggregation policy a new round is one from its first moment, before its machine is loaded.
    const fresh = this.policy.secagg && view.round?.accepted === 0;
    if (fresh || this.secagg?.roundId === urlRoundId || view.secagg) {
      return { problem: secaggProblem('plain-upload', `round ${urlRoundId} runs secure aggregation: use its secagg endpoints`) };
    }
    const dec = decodeOrProblem(bytes);
    if ('problem' in dec) return dec;
    const u = dec.update;
    const hk = headerKey(idempotencyHeader);
    if (hk !== undefined && hk !== u.key) {
      return { problem: problems.invalid('key-mismatch', 'Idempotency key mismatch', 'the Idempotency-Key header differs from the key in the payload') };
    }
    const fingerprint = createHash('sha256').update(bytes).digest('hex');
    const stored = async (): Promise<SubmitOutcome | undefined> => {
      const existing = await this.store.findUpdate(u.key);
      return existing && this.replay(existing.fingerprint, fingerprint, existing.response);
    };
    if (!shared) { const r = await stored(); if (r) return r; }
    const now = this.now();
    const round = view.round;
    const check = checkAgainstRound(u, { round, layout: this.layout, now, uploadBound: this.uploadBound, normTolerance: this.policy.normTolerance, urlRoundId });
    if ('problem' in check) {
      if (shared) { const r = await stored(); if (r) return r; }
      if (round?.status === 'open' && now >= round.deadline) void this.close(round.id, 'deadline passed');
      return check;
    }
    const response = { status: 202, body: { status: 'accepted', roundId: urlRoundId, key: u.key } };
    const res = await this.store.insertUpdate({
      key: u.key, roundId: urlRoundId, receivedAt: now, weight: this.weighting.weightOf(u.clientWeight),
      norm: check.norm, fingerprint, payload: bytes, response,
    }, this.policy.maxUpdatesPerRound);
    switch (res.kind) {
      case 'duplicate': return this.replay(res.existing.fingerprint, fingerprint, res.existing.response);
      case 'not_open':
      case 'full': return { problem: problems.closed(`round ${urlRoundId} no longer accepts updates`, { roundId: urlRoundId }) };
      case 'inserted':
        if (this.closesAtTarget && res.accepted >= this.policy.targetClients) setImmediate(() => void this.close(urlRoundId, 'target reached'));
        return { ...response, replayed: false };
    }
  }

  /**
   * Round `id` as an upload is checked against it, and whether it is a secure-aggregation round. On a shared store
   * the answer is reused for up to one watch period: what it says that can change (the status) only goes from
   * open to closing, and the insert checks the status again in its transaction, so a stale "open" costs nothing
   * but a later refusal.
   */
  private async roundView(id: number): Promise<{ round: RoundRecord | undefined; secagg: boolean }> {
    const read = async () => {
      const [round, row] = await Promise.all([this.store.getRound(id), this.store.secaggRound(id)]);
      return { round, secagg: row !== undefined };
    };
    if (!this.store.shared) return read();
    const now = Date.now(), hit = this.views.get(id);
    if (hit && now - hit.at < this.pollMs) return hit.view;
    const view = await read();
    if (this.views.size > 16) this.views.clear();
    this.views.set(id, { at: now, view });
    return view;
  }
  private readonly views = new Map<number, { at: number; view: { round: RoundRecord | undefined; secagg: boolean } }>();

  private replay(stored: string, fingerprint: string, response: { status: number; body: unknown }): SubmitOutcome {
    if (stored !== fingerprint) {
      return { problem: problems.invalid('key-reused', 'Idempotency key reused', 'this idempotency key was already used with a different payload') };
    }
    return { ...response, replayed: true };
  }

  /** Closes round `id` (single flight): aggregate and publish, or fail; then open and arm the next round. */
  close(id: number, reason: string): Promise<void> {
    if (this.secagg?.roundId === id) return Promise.resolve(); // its stages close it
    if (this.closing) return this.closing.then(() => undefined);
    this.closing = this.doClose(id, reason)
      .catch((err: unknown) => {
        this.log.error({ err, round: id }, 'closing the round failed; retrying in 5 s');
        if (!this.stopped) setTimeout(() => void this.close(id, 'retry'), 5000).unref();
      })
      .finally(() => { this.closing = undefined; });
    return this.closing;
  }

  /**
   * New model weights from the base version's and the round's aggregate Δ, through the server optimiser.
   * One read of the base version gives both its model tensors and the optimiser state stored with it (absent
   * for the seed, or after switching optimiser: a fresh start). The new state is returned to be stored with
   * the new version when the optimiser needs it (momentum, Adam's moments, a warm-up's step count); plain
   * FedAvg keeps none.
   */
  private async step(baseVersion: number, delta: Float32Array): Promise<{ weights: Weights; state?: ServerOptimizerState }> {
    const p = this.policy;
    const stored = await this.store.getWeights(baseVersion);
    const model: Weights = {};
    for (const name of Object.keys(weightShapes(this.dims))) if (stored[name]) model[name] = stored[name];
    const opt: ServerOptimizer = { kind: p.serverOptimizer, learningRate: p.serverLearningRate, momentum: p.serverMomentum, tau: p.adamTau, biasCorrection: p.adamBiasCorrection, warmupRounds: p.serverWarmupRounds, decayRounds: p.serverDecayRounds };
    const r = serverStep(delta, stateFromTensors(stored, opt, delta.length) ?? initialState(opt, delta.length), opt);
    return { weights: applyDelta(this.dims, model, r.step, 1), ...(isStateful(opt) ? { state: r.state } : {}) };
  }

  private async doClose(id: number, reason: string): Promise<void> {
    // The lease: open → closing, or a closing round whose closer's lease expired; otherwise another instance closes it.
    const lease = this.lease;
    if (!(await this.store.beginClose(id, lease))) return;
    // Renewed while this instance aggregates; if it pauses past the lease, commitClose refuses (fencing).
    const renew = setInterval(() => void this.store.renewLease(id, lease).catch(() => undefined), Math.max(50, Math.floor(lease.ms / 3)));
    renew.unref();
    try {
      const hold = this.config.instance?.holdLeaseMs ?? 0;
      if (hold > 0) await new Promise((r) => setTimeout(r, hold));
      await this.closeClaimed(id, reason);
    } finally {
      clearInterval(renew);
    }
  }

  private async closeClaimed(id: number, reason: string): Promise<void> {
    const round = (await this.store.getRound(id))!;
    const p = this.policy;
    const now = this.now();
    if (round.accepted < p.minClients) {
      const next = await this.store.commitClose({ roundId: id, status: 'failed', closedAt: now, next: this.newRound(round.baseVersion), owner: this.lease.owner });
      this.log.info({ round: id, reason, accepted: round.accepted, next: next.id }, 'round failed: too few clients');
      return void (await this.begin(next));
    }
    const bound = this.uploadBound;
    const result = await aggregate(payloadSource(() => this.store.iterateUpdates(id), this.layout, bound), this.layout.size, { rule: p.rule, trimFraction: p.trimFraction });
    const rng = this.config.noiseSeed === undefined ? cryptoRng() : new Rng(this.config.noiseSeed + id);
    const { maxWeight, denominator } = this.weighting;
    const { delta } = releaseMean(result.delta, { multiplier: p.centralNoiseMultiplier, bound, maxWeight, totalWeight: result.totalWeight, denominator, rng });
    const next = await this.publish(round, delta, result.count, now);
    this.log.info({ round: id, reason, accepted: result.count, version: next.baseVersion, next: next.id }, 'round published a new model version');
    await this.begin(next);
  }

  /** Steps the base version by the released Δ, builds and signs the new version, and commits the round's close. */
  private async publish(round: RoundRecord, delta: Float32Array, clients: number, now: number, secagg?: Record<string, unknown>): Promise<RoundRecord> {
    const p = this.policy, id = round.id;
    const base = await this.store.getVersion(round.baseVersion);
    if (!base) throw new Error(`base version ${round.baseVersion} missing`);
    const { weights, state } = await this.step(base.version, zeroFrozen(delta, this.layout, p.local.frozen));
    const vocabFile = base.manifest.files.find((f) => f.path === base.manifest.vocab);
    const vocabBytes = vocabFile && (await this.store.getFile(vocabFile.sha256));
    if (!vocabBytes) throw new Error(`vocabulary of version ${base.version} missing`);
    const vocab = JSON.parse(new TextDecoder().decode(vocabBytes.data)) as VocabJson;
    const version = await buildVersion({
      version: base.version + 1, parent: base.version, round: id, clients, rule: p.rule,
      dims: this.dims, weights, vocab, quantization: base.manifest.quantization, now,
      seal: { signer: this.signer, prev: (await this.store.logHead()) ?? null }, ...(secagg ? { secagg } : {}),
    });
    // The optimiser's state is stored with the version it produced, in the same transaction (not published).
    if (state) version.weights = { ...version.weights, ...stateTensors(state) };
    return this.store.commitClose({ roundId: id, status: 'published', version, closedAt: now, next: this.newRound(version.version), owner: this.lease.owner });
  }
}
