/**
 * The device's own accountant: the ε it shows, budgets and stops on is its ε against the aggregator, for the
 * mechanism that actually ran, with no credit for what the device cannot check.
 *
 * Unit of privacy: one device installation (a browser profile; a new profile is a new device). Adjacency:
 * replace-one — the device takes part either way, with one history or another — so what is bounded is what an
 * upload says about the device's behaviour, not whether it took part (participation is visible to the
 * aggregator and is listed as not covered in docs/threat-model.md).
 *
 * Each upload is the Gaussian mechanism on the device's clipped delta: two histories give deltas up to 2C apart
 * and the device adds N(0, (zC)²), so one upload has multiplier z/2 (`serverViewEpsilon`), with no amplification
 * by sampling (the aggregator sees who uploaded) and no credit for central noise (the device cannot check that it
 * is added). Uploads compose by adding Rényi DP at every order; ε at δ comes from the same conversion as the
 * sampled Gaussian accountant (rdp.ts). The upload is recorded before its bytes leave the device, so a crash can
 * only over-count; a retry sends the same bytes and costs nothing more.
 *
 * A second figure, `epsilonPublished`, is the ε against someone who sees only the published models, counting the
 * central noise the aggregator announced (so it holds only if the aggregator adds it). It is never used for the
 * budget, and equals the server view when no central noise was announced. Amplification by sampling is not
 * credited there either: a device's noise travels with its own upload, so whether it took part shows in the sum.
 *
 * The budget and δ only tighten: the state keeps the smallest budget and δ the device was ever configured
 * with, so a later configuration cannot give back ε already spent.
 *
 * A secure-aggregation upload (SecAgg+ with the distributed discrete Gaussian) reaches the aggregator only inside
 * a masked sum, so its RDP is that of the noisy sum over the honest cohort the device's own policy assumes
 * (`ddgRdp` at the accountant's orders, KLS21 Prop. 14, for the pinned n_honest), added to the same arrays as the
 * local-noise uploads. That sum is also what a round publishes, so such an upload adds the same RDP to the
 * published figure: for it epsilonPublished equals epsilonServer. Its ε rests on the honest-cohort assumption;
 * `epsilonAlone` is the figure without it, counting the device's own noise share only (n = 1), as if every other
 * device in the sum were the aggregator's.
 *
 * State versions: 2 holds local-noise uploads only and is still written while no secure-aggregation upload was
 * recorded (so an older client reads it as before); 3 adds the secure-aggregation count and the own-noise-only
 * RDP. A state of a later version than this code knows counts as spent without limit.
 */
import { ddgRdp, type DdgAccountingParams } from '../ddg/accountant.js';
import { computeRdpSampledGaussian, DEFAULT_ORDERS, rdpToEpsilon } from './rdp.js';

export interface DeviceAccountStateV2 {
  version: 2;
  orders: number[];
  /** Rényi DP, per order, of everything the aggregator received from this device. */
  server: number[];
  /** The same for published models, counting the central noise announced by the rounds (trust). */
  published: number[];
  /** Uploads recorded (released bytes, whether or not the aggregator acknowledged them). */
  uploads: number;
  /** Smallest total budget ever configured. */
  budget: number;
  /** Smallest δ ever configured. */
  delta: number;
}

export interface DeviceAccountStateV3 extends Omit<DeviceAccountStateV2, 'version'> {
  version: 3;
  /** Of `uploads`, those made in secure-aggregation rounds. */
  ddgUploads: number;
  /** Rényi DP counting only this device's own noise (secure-aggregation uploads as a sum of one device). */
  alone: number[];
}

export type DeviceAccountState = DeviceAccountStateV2 | DeviceAccountStateV3;

/** One upload against the aggregator: Gaussian with multiplier z/2 (replace-one), no sampling. */
const uploadRdp = (z: number, orders: readonly number[]): number[] => computeRdpSampledGaussian(1, z / 2, orders);

/** Newest state version this code reads. */
const VERSION = 3;

export class DeviceAccountant {
  private readonly s: DeviceAccountStateV3;

  /**
   * @param limits the current configuration's budget and δ (tightened by what the stored state already holds).
   * @param stored a state from `toJSON()` (one unreadable entry makes it count as spent without limit); a state of the
   *   older, sampling-based accountant that recorded any round cannot be converted (it does not say whether or at
   *   which z the device uploaded), so it counts as an exhausted budget. A state of version 2 (local noise only)
   *   reads as a version 3 with no secure-aggregation upload; one of a later version counts as spent without limit.
   */
  constructor(limits: { epsilonBudget: number; delta: number }, stored?: unknown) {
    const st = stored as (Omit<Partial<DeviceAccountStateV3>, 'version'> & { version?: number; rounds?: number }) | null | undefined;
    const fresh = (): DeviceAccountStateV3 => ({
      version: 3, orders: [...DEFAULT_ORDERS], server: DEFAULT_ORDERS.map(() => 0), published: DEFAULT_ORDERS.map(() => 0), alone: DEFAULT_ORDERS.map(() => 0),
      uploads: 0, ddgUploads: 0, budget: limits.epsilonBudget, delta: limits.delta,
    });
    const sized = (a: unknown): a is unknown[] => Array.isArray(a) && Array.isArray(st?.orders) && a.length === st.orders.length;
    if ((st?.version === 2 || st?.version === 3) && Array.isArray(st.orders) && sized(st.server) && sized(st.published) && (st.version === 2 || sized(st.alone))) {
      // One unreadable entry makes the whole state untrustworthy: every order then counts as spent without limit.
      const rdp = (a: unknown[]): number[] => (a.every((v) => typeof v === 'number' && v >= 0) ? [...a as number[]] : a.map(() => Infinity));
      const pos = (v: unknown, dflt: number): number => (typeof v === 'number' && v > 0 ? v : dflt);
      const count = (v: unknown): number => (Number.isInteger(v) && (v as number) >= 0 ? v as number : 0);
      const server = rdp(st.server);
      this.s = {
        version: 3, orders: [...st.orders], server, published: rdp(st.published),
        // Before version 3 every upload carried its own noise: the server view is the own-noise view.
        alone: st.version === 3 ? rdp(st.alone!) : [...server],
        uploads: count(st.uploads), ddgUploads: st.version === 3 ? count(st.ddgUploads) : 0,
        budget: pos(st.budget, limits.epsilonBudget), delta: pos(st.delta, limits.delta),
      };
    } else {
      this.s = fresh();
      const later = typeof st?.version === 'number' && st.version > VERSION;
      if (later || (st && st.version === 1 && (st.rounds ?? 0) > 0)) {
        this.s.server = this.s.server.map(() => Infinity);
        this.s.alone = this.s.alone.map(() => Infinity);
      }
    }
    this.s.budget = Math.min(this.s.budget, limits.epsilonBudget);
    this.s.delta = Math.min(this.s.delta, limits.delta);
  }

  get budget(): number { return this.s.budget; }
  get delta(): number { return this.s.delta; }
  get uploads(): number { return this.s.uploads; }
  /** Of `uploads`, those made in secure-aggregation rounds. */
  get ddgUploads(): number { return this.s.ddgUploads; }

  /** ε against the aggregator so far. */
  epsilonServer(): number { return rdpToEpsilon(this.s.orders, this.s.server, this.s.delta).epsilon; }

  /**
   * ε against observers of the published models so far (relies on the announced central noise). A secure-
   * aggregation upload adds the same to it as to `epsilonServer`: the noisy sum is what is published.
   */
  epsilonPublished(): number { return rdpToEpsilon(this.s.orders, this.s.published, this.s.delta).epsilon; }

  /**
   * ε against an aggregator whose cohort is all its own but this device (Sybils): only the device's own noise
   * counts. Equals `epsilonServer` while no secure-aggregation upload was made; never used for the budget.
   */
  epsilonAlone(): number { return rdpToEpsilon(this.s.orders, this.s.alone, this.s.delta).epsilon; }

  /** ε against the aggregator after one more upload with device noise z. */
  projectedServer(z: number): number {
    const step = uploadRdp(z, this.s.orders);
    return rdpToEpsilon(this.s.orders, this.s.server.map((r, i) => r + step[i]!), this.s.delta).epsilon;
  }

  /** Whether one more upload at z stays within the budget. */
  canUpload(z: number): boolean { return this.projectedServer(z) <= this.s.budget; }

  /** Records one upload with device noise z and announced central noise zc (call before the bytes leave). */
  recordUpload(z: number, zc: number): void {
    const server = uploadRdp(z, this.s.orders), published = uploadRdp(Math.hypot(z, zc), this.s.orders);
    this.s.server = this.s.server.map((r, i) => r + server[i]!);
    this.s.alone = this.s.alone.map((r, i) => r + server[i]!);
    this.s.published = this.s.published.map((r, i) => r + published[i]!);
    this.s.uploads++;
  }

  /** ε against the aggregator after one more secure-aggregation upload with these parameters. */
  projectedServerDdg(p: DdgAccountingParams): number {
    const step = ddgRdp(p, this.s.orders);
    return rdpToEpsilon(this.s.orders, this.s.server.map((r, i) => r + step[i]!), this.s.delta).epsilon;
  }

  /** Whether one more secure-aggregation upload with these parameters stays within the budget. */
  canUploadDdg(p: DdgAccountingParams): boolean { return this.projectedServerDdg(p) <= this.s.budget; }

  /**
   * Records one secure-aggregation upload (call before the masked input leaves). `p` is the device's own: its σ_dev
   * and the honest cohort of its pinned policy (`checkRound`'s `noise.accounting`), never an announced cohort.
   */
  recordDdgUpload(p: DdgAccountingParams): void {
    const step = ddgRdp(p, this.s.orders), own = ddgRdp({ ...p, nHonest: 1 }, this.s.orders);
    this.s.server = this.s.server.map((r, i) => r + step[i]!);
    this.s.published = this.s.published.map((r, i) => r + step[i]!);
    this.s.alone = this.s.alone.map((r, i) => r + own[i]!);
    this.s.uploads++;
    this.s.ddgUploads++;
  }

  /** The state to persist: version 2 while no secure-aggregation upload was recorded, else version 3. */
  toJSON(): DeviceAccountState {
    const { version: _, ddgUploads, alone, ...rest } = this.s;
    const base = { ...rest, orders: [...rest.orders], server: [...rest.server], published: [...rest.published] };
    return ddgUploads === 0 && alone.every((r, i) => r === rest.server[i])
      ? { version: 2, ...base }
      : { version: 3, ...base, ddgUploads, alone: [...alone] };
  }
}
