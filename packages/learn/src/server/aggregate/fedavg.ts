/**
 * Weighted FedAvg (McMahan et al. 2017): Σ wᵢ Δᵢ / Σ wᵢ, as a running float64 sum in one pass, so memory is
 * O(size) whatever the number of clients.
 */
import type { AggregateResult, DeltaSource } from './types.js';

export async function fedAvg(source: DeltaSource, size: number): Promise<AggregateResult> {
  const sum = new Float64Array(size);
  let count = 0, totalWeight = 0;
  for await (const { delta, weight } of source()) {
    if (delta.length !== size) throw new RangeError(`fedAvg: delta has ${delta.length} values, expected ${size}`);
    if (!(weight > 0) || !Number.isFinite(weight)) throw new RangeError(`fedAvg: weight must be positive, got ${weight}`);
    for (let i = 0; i < size; i++) sum[i]! += weight * delta[i]!;
    count++;
    totalWeight += weight;
  }
  const delta = new Float32Array(size);
  if (totalWeight > 0) for (let i = 0; i < size; i++) delta[i] = sum[i]! / totalWeight;
  return { delta, count, totalWeight };
}
