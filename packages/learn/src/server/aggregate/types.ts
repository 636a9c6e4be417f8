/**
 * Aggregation inputs. A `DeltaSource` can be iterated several times (robust rules make one pass per column
 * chunk) and yields one dequantised, server-clipped delta at a time, so no rule needs every delta in memory
 * at once. The aggregator feeds it from its store; the simulator can feed it from an array.
 */
export interface WeightedDelta {
  /** Flat delta in layout order. */
  delta: Float32Array;
  /** FedAvg weight (capped example count). Robust rules ignore it. */
  weight: number;
}

export type DeltaSource = () => AsyncIterable<WeightedDelta> | Iterable<WeightedDelta>;

export interface AggregateResult {
  /** The aggregated delta to add to the base weights. */
  delta: Float32Array;
  /** Number of deltas aggregated. */
  count: number;
  /** Sum of weights (FedAvg) or count (robust rules). */
  totalWeight: number;
}

/** Array → DeltaSource (for tests and the simulator). */
export const fromArray = (items: readonly WeightedDelta[]): DeltaSource => () => items;
