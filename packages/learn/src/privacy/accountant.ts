/**
 * Per-device privacy accountant (user-level DP: the protected unit is everything one device contributes).
 *
 * Each round in which the device flips its sampling coin is one application of the sampled Gaussian
 * mechanism with the round's noise multiplier z (noise std z·C on a delta clipped to C) and sampling
 * probability q, WHETHER OR NOT the coin says "take part": amplification by sampling is a statement about
 * the coin flip, so rounds where the device was eligible but not sampled count too (`sample()` does both).
 * Counting only uploads would understate ε. The accountant adds each round's RDP to a running total at
 * every order and converts to (ε, δ) on demand.
 *
 * Sampling assumption: the device takes part in a round with probability q by a private coin flip made on
 * the device (`shouldParticipate`), independently across rounds and devices (Poisson sampling, as in DP-FedAvg,
 * McMahan et al. 2018). Amplification by sampling holds only against observers of the published models who do
 * not see which devices took part; see docs/threat-model.md for where it fails (the server sees who uploads,
 * availability is not random, repeated rounds while offline).
 *
 * The state is a small JSON object (`toJSON`/`fromJSON`). The simulator's central-noise runs use this accountant;
 * the SDK's devices use `DeviceAccountant` (device-accountant.ts).
 */
import { computeRdpSampledGaussian, DEFAULT_ORDERS, rdpToEpsilon, type EpsilonResult } from './rdp.js';
import type { Rng } from './rng.js';

export interface AccountantOptions {
  /** Total budget ε (default 8). */
  epsilonBudget?: number;
  /** δ at which ε is stated (default 1e-6). */
  delta?: number;
  /** Integer RDP orders (default `DEFAULT_ORDERS`). */
  orders?: readonly number[];
}

export interface AccountantState {
  version: 1;
  orders: number[];
  rdp: number[];
  /** Number of recorded rounds (coin flips). */
  rounds: number;
}

export class PrivacyAccountant {
  readonly epsilonBudget: number;
  readonly delta: number;
  readonly orders: readonly number[];
  private rdp: number[];
  private roundsSpent = 0;

  constructor(options: AccountantOptions = {}, state?: AccountantState) {
    this.epsilonBudget = options.epsilonBudget ?? 8;
    this.delta = options.delta ?? 1e-6;
    this.orders = state?.orders ?? options.orders ?? DEFAULT_ORDERS;
    if (!(this.epsilonBudget > 0)) throw new RangeError('epsilonBudget must be > 0');
    if (!(this.delta > 0 && this.delta < 1)) throw new RangeError('delta must be in (0, 1)');
    this.rdp = state ? [...state.rdp] : this.orders.map(() => 0);
    if (this.rdp.length !== this.orders.length) throw new RangeError('accountant state: orders and rdp differ in length');
    this.roundsSpent = state?.rounds ?? 0;
  }

  /** Records `count` rounds with sampling probability q and noise multiplier z. */
  record(q: number, z: number, count = 1): void {
    const step = computeRdpSampledGaussian(q, z, this.orders);
    this.rdp = this.rdp.map((r, i) => r + count * step[i]!);
    this.roundsSpent += count;
  }

  /** ε spent so far at `delta` (and the optimal order). */
  spent(): EpsilonResult {
    return rdpToEpsilon(this.orders, this.rdp, this.delta);
  }

  /** ε after `count` more rounds with (q, z), without recording them. */
  projected(q: number, z: number, count = 1): EpsilonResult {
    const step = computeRdpSampledGaussian(q, z, this.orders);
    return rdpToEpsilon(this.orders, this.rdp.map((r, i) => r + count * step[i]!), this.delta);
  }

  /**
   * Whether the device may contribute. Without arguments: ε spent ≤ budget. With the next round's (q, z):
   * whether ε would still be within budget after that round, so the budget is never overshot.
   */
  canContribute(next?: { q: number; z: number }): boolean {
    const eps = next ? this.projected(next.q, next.z).epsilon : this.spent().epsilon;
    return eps <= this.epsilonBudget;
  }

  /**
   * One round of device-side Poisson sampling: refuses if the round could overshoot the budget, otherwise
   * records the round (before anything is sent, so a crash cannot under-count) and flips the coin.
   */
  sample(round: { q: number; z: number }, rng: Rng): 'participate' | 'skip' | 'budget_exhausted' {
    if (!this.canContribute(round)) return 'budget_exhausted';
    this.record(round.q, round.z);
    return shouldParticipate(round.q, rng) ? 'participate' : 'skip';
  }

  /** Rounds recorded (coin flips), not uploads. */
  get rounds(): number { return this.roundsSpent; }

  toJSON(): AccountantState {
    return { version: 1, orders: [...this.orders], rdp: [...this.rdp], rounds: this.roundsSpent };
  }

  static fromJSON(state: AccountantState, options: Omit<AccountantOptions, 'orders'> = {}): PrivacyAccountant {
    if (state.version !== 1) throw new Error(`accountant state version ${String(state.version)} not supported`);
    return new PrivacyAccountant(options, state);
  }
}

/** The device's private Poisson-sampling coin: true with probability q. Use `cryptoRng()` on real devices. */
export function shouldParticipate(q: number, rng: Rng): boolean {
  return rng.next() < q;
}

/**
 * ε of the device's uploads as seen by the server itself, which receives each upload and knows who sent it:
 * no amplification by sampling (q = 1), and replace-one adjacency for a local mechanism (two datasets of the
 * same device give clipped deltas up to 2C apart), so each upload is a Gaussian mechanism with multiplier
 * z/2. This is the honest number for the honest-but-curious server; it is much larger than `spent()`.
 */
export function serverViewEpsilon(uploads: number, z: number, delta: number, orders: readonly number[] = DEFAULT_ORDERS): EpsilonResult {
  if (uploads === 0) return { epsilon: 0, order: orders[0]! };
  const rdp = computeRdpSampledGaussian(1, z / 2, orders).map((r) => uploads * r);
  return rdpToEpsilon(orders, rdp, delta);
}
