/**
 * Optional central Gaussian noise on the aggregate (DP-FedAvg, McMahan et al. 2018).
 *
 * What is released is the **fixed-denominator** estimate (the paper's f̃_f): the weighted sum of the round's
 * (server-clipped) deltas divided by a denominator fixed before the round — the expected total weight, which
 * with unit weights is the expected number of clients (the round's `targetClients`, set to q·N) — plus
 * N(0, (z_c · w_max · B / denominator)²). One device changes the weighted sum by at most w_max·B whatever the
 * other devices do, so the release is the Gaussian mechanism with multiplier z_c on that sum.
 *
 * Why not divide by the realised total weight W (the plain mean): W itself depends on who took part (one
 * device moves it by its weight), so Σ/W is not a function of the clipped sum alone and the noise
 * z_c·w_max·B/W is no longer calibrated to what one device can change. The fixed denominator shrinks the step
 * of a round with fewer clients than expected (and grows one with more); the server optimiser sees that as
 * a noisier pseudo-gradient, not as a privacy leak.
 *
 * This protects published models even if clients sent no local noise; it adds nothing against the server
 * itself, which sees the individual uploads. Only FedAvg has this sensitivity: the coordinate-wise median and
 * the trimmed mean can move by much more than B/denominator when one input changes, so the aggregator refuses
 * central noise with them (`checkPolicy`).
 */
import { addGaussianNoise, type Rng } from '@perch/model/privacy/index.ts';

export interface CentralNoiseOptions {
  /** Central noise multiplier z_c (0 = off: the plain weighted mean is returned). */
  multiplier: number;
  /** Per-update L2 bound B after server clipping. */
  bound: number;
  /** Largest weight one update can carry. */
  maxWeight: number;
  /** Realised total weight W of `mean` (mean · W recovers the weighted sum). */
  totalWeight: number;
  /**
   * The fixed denominator: the expected total weight of a round, public and fixed before the round (with unit
   * weights, the expected number of clients). Must be > 0 when the multiplier is.
   */
  denominator: number;
  rng: Rng;
}

/**
 * With z_c > 0: Σ wᵢΔᵢ / denominator + N(0, (z_c·w_max·B / denominator)²) per coordinate (its std is returned
 * too); with z_c = 0: a copy of the weighted mean, std 0.
 */
export function addCentralNoise(mean: Float32Array, o: CentralNoiseOptions): { delta: Float32Array; std: number } {
  if (o.multiplier === 0) return { delta: new Float32Array(mean), std: 0 };
  if (!(o.denominator > 0) || !Number.isFinite(o.denominator)) throw new RangeError(`central noise needs a fixed denominator > 0, got ${o.denominator}`);
  const scale = o.totalWeight > 0 ? o.totalWeight / o.denominator : 0;
  const sum = new Float32Array(mean.length);
  for (let i = 0; i < mean.length; i++) sum[i] = mean[i]! * scale;
  const std = (o.multiplier * o.maxWeight * o.bound) / o.denominator;
  return { delta: addGaussianNoise(sum, std, o.rng), std };
}
