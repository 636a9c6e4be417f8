/**
 * Optional central Gaussian noise on the aggregate (DP-FedAvg, McMahan et al. 2018). With per-update L2 bound
 * B (server clip) and weights capped at wMax, one device changes the weighted sum by at most wMax·B, so the
 * mean Σwᵢ Δᵢ / W gets noise of std z_c · wMax · B / W. This protects published models even if clients sent
 * no local noise; it adds nothing against the server itself, which sees the individual uploads.
 */
import { addGaussianNoise, type Rng } from '@perch/model/privacy/index.ts';

export interface CentralNoiseOptions {
  /** Central noise multiplier z_c (0 = off). */
  multiplier: number;
  /** Per-update L2 bound B after server clipping. */
  bound: number;
  /** Largest weight one update can carry. */
  maxWeight: number;
  /** Total weight W of the aggregate (number of updates for robust rules). */
  totalWeight: number;
  rng: Rng;
}

/** Returns the noisy mean delta, or a copy when the multiplier is 0. Its std per coordinate is returned too. */
export function addCentralNoise(mean: Float32Array, o: CentralNoiseOptions): { delta: Float32Array; std: number } {
  if (o.multiplier === 0 || o.totalWeight <= 0) return { delta: new Float32Array(mean), std: 0 };
  const std = (o.multiplier * o.maxWeight * o.bound) / o.totalWeight;
  return { delta: addGaussianNoise(mean, std, o.rng), std };
}
