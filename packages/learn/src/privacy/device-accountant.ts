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
 */
import { computeRdpSampledGaussian, DEFAULT_ORDERS, rdpToEpsilon } from './rdp.js';

export interface DeviceAccountState {
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

/** One upload against the aggregator: Gaussian with multiplier z/2 (replace-one), no sampling. */
const uploadRdp = (z: number, orders: readonly number[]): number[] => computeRdpSampledGaussian(1, z / 2, orders);

export class DeviceAccountant {
  private readonly s: DeviceAccountState;

  /**
   * @param limits the current configuration's budget and δ (tightened by what the stored state already holds).
   * @param stored a state from `toJSON()` (one unreadable entry makes it count as spent without limit); a state of the
   *   older, sampling-based accountant that recorded any round cannot be converted (it does not say whether or at
   *   which z the device uploaded), so it counts as an exhausted budget.
   */
  constructor(limits: { epsilonBudget: number; delta: number }, stored?: unknown) {
    const st = stored as (Omit<Partial<DeviceAccountState>, 'version'> & { version?: number; rounds?: number }) | null | undefined;
    const fresh = (): DeviceAccountState => ({ version: 2, orders: [...DEFAULT_ORDERS], server: DEFAULT_ORDERS.map(() => 0), published: DEFAULT_ORDERS.map(() => 0), uploads: 0, budget: limits.epsilonBudget, delta: limits.delta });
    if (st?.version === 2 && Array.isArray(st.orders) && st.server?.length === st.orders.length && st.published?.length === st.orders.length) {
      // One unreadable entry makes the whole state untrustworthy: every order then counts as spent without limit.
      const rdp = (a: unknown[]): number[] => (a.every((v) => typeof v === 'number' && v >= 0) ? [...a as number[]] : a.map(() => Infinity));
      const pos = (v: unknown, dflt: number): number => (typeof v === 'number' && v > 0 ? v : dflt);
      this.s = {
        version: 2, orders: [...st.orders], server: rdp(st.server), published: rdp(st.published),
        uploads: Number.isInteger(st.uploads) ? st.uploads! : 0, budget: pos(st.budget, limits.epsilonBudget), delta: pos(st.delta, limits.delta),
      };
    } else {
      this.s = fresh();
      if (st && st.version === 1 && (st.rounds ?? 0) > 0) this.s.server = this.s.server.map(() => Infinity);
    }
    this.s.budget = Math.min(this.s.budget, limits.epsilonBudget);
    this.s.delta = Math.min(this.s.delta, limits.delta);
  }

  get budget(): number { return this.s.budget; }
  get delta(): number { return this.s.delta; }
  get uploads(): number { return this.s.uploads; }

  /** ε against the aggregator so far. */
  epsilonServer(): number { return rdpToEpsilon(this.s.orders, this.s.server, this.s.delta).epsilon; }

  /** ε against observers of the published models so far (relies on the announced central noise). */
  epsilonPublished(): number { return rdpToEpsilon(this.s.orders, this.s.published, this.s.delta).epsilon; }

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
    this.s.published = this.s.published.map((r, i) => r + published[i]!);
    this.s.uploads++;
  }

  toJSON(): DeviceAccountState {
    return { ...this.s, orders: [...this.s.orders], server: [...this.s.server], published: [...this.s.published] };
  }
}
