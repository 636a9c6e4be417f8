/**
 * What a round releases: the plain weighted mean (no DP), or in a DP round the fixed-denominator estimate with
 * optional central Gaussian noise (DP-FedAvg, McMahan et al. 2018).
 *
 * A DP round releases the **fixed-denominator** estimate (the paper's f̃_f): the weighted sum of the round's
 * (server-clipped) deltas divided by a denominator fixed before the round — the expected total weight, which
 * with unit weights is the expected number of clients (the round's `targetClients`, set to q·N) — plus, with
 * central noise, N(0, (z_c · w_max · B / denominator)²). One device changes the weighted sum by at most w_max·B
 * whatever the other devices do, so the release is the Gaussian mechanism with multiplier z_c on that sum;
 * with local noise only, the device's own N(0, (zC)²) rides on its contribution the same way, and the
 * sampled-Gaussian accounting of the device (model observers) is about that sum.
 *
 * Why not divide by the realised total weight W (the plain mean): W itself depends on who took part (one
 * device moves it by its weight), so Σ/W is not a function of the sum alone and noise z_c·w_max·B/W is no
 * longer calibrated to what one device can change. The fixed denominator shrinks the step of a round with
 * fewer clients than expected (and grows one with more); the server optimiser sees that as a noisier
 * pseudo-gradient, not as a privacy leak. Rounds without DP keep the plain mean (no denominator given).
 *
 * Central noise protects published models even if clients sent no local noise; it adds nothing against the
 * server itself, which sees the individual uploads. Only FedAvg has this sensitivity: the coordinate-wise
 * median and the trimmed mean can move by much more than B/denominator when one input changes, so central noise
 * with them is refused (`centralNoiseProblem`, used by the aggregator's `checkPolicy` and the simulator).
 */
import { gaussian, type Rng } from '../../privacy/rng.js';

/** Why central noise cannot be used with this rule and multiplier, or undefined when it can (or is off). */
export function centralNoiseProblem(rule: string, multiplier: number): string | undefined {
  if (multiplier > 0 && rule !== 'fedavg') return `central noise needs the fedavg rule (a ${rule} has no bounded sensitivity)`;
  return undefined;
}

/** How a round weighs its updates and what its release divides by (`roundWeighting`). */
export interface RoundWeighting {
  /** The weight an update is stored and aggregated with, from the weight it claims. */
  weightOf(claimed: number): number;
  /** Largest weight one update can carry: the central noise's sensitivity is maxWeight · B. */
  maxWeight: number;
  /** `releaseMean`'s fixed denominator: FedAvg in a DP round; undefined for the plain mean. */
  denominator: number | undefined;
}

/**
 * The weighting rule of a round, decided here once for the aggregator's round service and the simulator's
 * server. A DP round (device noise or central noise) weighs every update 1 whatever it claims, since a claimed
 * weight is not DP-protected, and FedAvg releases the sum over the fixed denominator `expectedClients`, public
 * and fixed before the round; robust rules keep their own output. A round without DP weighs an update by its
 * claimed weight up to `maxClientWeight` and releases the plain weighted mean.
 */
export function roundWeighting(o: { dp: boolean; rule: string; maxClientWeight: number; expectedClients: number }): RoundWeighting {
  const cap = o.dp ? 1 : o.maxClientWeight;
  return {
    weightOf: (claimed) => (o.dp ? 1 : Math.min(claimed, cap)),
    maxWeight: o.rule === 'fedavg' ? cap : 1,
    denominator: o.dp && o.rule === 'fedavg' ? o.expectedClients : undefined,
  };
}

export interface ReleaseOptions {
  /** Central noise multiplier z_c (0 = off). */
  multiplier: number;
  /** Per-update L2 bound B after server clipping. */
  bound: number;
  /** Largest weight one update can carry. */
  maxWeight: number;
  /** Realised total weight W of `mean` (mean · W recovers the weighted sum). */
  totalWeight: number;
  /**
   * The fixed denominator of a DP round: the expected total weight, public and fixed before the round (with
   * unit weights, the expected number of clients). Absent: the plain weighted mean (rounds without DP);
   * required when the multiplier is > 0.
   */
  denominator?: number;
  rng: Rng;
}

/**
 * With a denominator: Σ wᵢΔᵢ / denominator, plus N(0, (z_c·w_max·B / denominator)²) per coordinate when z_c > 0
 * (the std is returned too). Without one (no DP): a copy of the weighted mean, std 0. Always a new array;
 * `mean` is not changed.
 */
export function releaseMean(mean: Float32Array, o: ReleaseOptions): { delta: Float32Array; std: number } {
  if (o.denominator === undefined) {
    if (o.multiplier > 0) throw new RangeError('central noise needs a fixed denominator');
    return { delta: new Float32Array(mean), std: 0 };
  }
  if (!(o.denominator > 0) || !Number.isFinite(o.denominator)) throw new RangeError(`the fixed denominator must be > 0, got ${o.denominator}`);
  const scale = o.totalWeight > 0 ? o.totalWeight / o.denominator : 0;
  const std = (o.multiplier * o.maxWeight * o.bound) / o.denominator;
  if (!(std >= 0) || !Number.isFinite(std)) throw new RangeError(`central noise std must be finite and ≥ 0, got ${std} (multiplier ${o.multiplier}, bound ${o.bound})`);
  const out = new Float32Array(mean.length);
  const n = std > 0 ? gaussian(o.rng) : undefined;
  for (let i = 0; i < mean.length; i++) {
    out[i] = mean[i]! * scale; // rounded to float32 before the noise is added (as the two-pass version did)
    if (n) out[i] = out[i]! + std * n();
  }
  return { delta: out, std };
}
