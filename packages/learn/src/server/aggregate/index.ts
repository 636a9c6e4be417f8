/**
 * Aggregation rules without any server framework: the aggregator and the simulator both call `aggregate`.
 * Server-side clipping happens in the source (`payloadSource`, ../decode.ts), before the rule sees a delta.
 */
import { coordinateMedian, trimmedMean } from './robust.js';
import { fedAvg } from './fedavg.js';
import type { AggregateResult, DeltaSource } from './types.js';

export type AggregationRule = 'fedavg' | 'median' | 'trimmed-mean';

export interface AggregateOptions {
  rule: AggregationRule;
  /** β for the trimmed mean (default 0.1). */
  trimFraction?: number;
  /** Memory bound for robust rules (values held at once). */
  maxValues?: number;
}

export function aggregate(source: DeltaSource, size: number, o: AggregateOptions): Promise<AggregateResult> {
  switch (o.rule) {
    case 'fedavg': return fedAvg(source, size);
    case 'median': return coordinateMedian(source, size, { maxValues: o.maxValues });
    case 'trimmed-mean': return trimmedMean(source, size, o.trimFraction ?? 0.1, { maxValues: o.maxValues });
  }
}

export { fedAvg, coordinateMedian, trimmedMean };
export { releaseMean, centralNoiseProblem, roundWeighting, type ReleaseOptions, type RoundWeighting } from './release.js';
export { zeroFrozen } from './frozen.js';
export { fromArray, type AggregateResult, type DeltaSource, type WeightedDelta } from './types.js';
