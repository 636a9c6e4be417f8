/**
 * Feeds stored updates of a round to the aggregation rules: decode, dequantise and clip each one to the
 * server bound on the fly, one at a time, so aggregation memory does not grow with the number of clients.
 */
import { decodeUpdate, updateDelta } from '@perch/model/federated/index.ts';
import { clipByL2, type Layout } from '@perch/model/privacy/index.ts';
import type { DeltaSource } from '../aggregate/index.js';
import type { AggregatorStore } from '../store/types.js';

export function storedUpdateSource(store: AggregatorStore, roundId: number, layout: Layout, bound: number): DeltaSource {
  return async function* () {
    for await (const u of store.iterateUpdates(roundId)) {
      const d = decodeUpdate(u.payload, { layout });
      // Stored payloads were validated on upload; a failure here means the store was tampered with.
      if (!d.ok) throw new Error(`stored update ${u.key} no longer decodes: ${d.error.message}`);
      yield { delta: clipByL2(updateDelta(d.update, layout), bound), weight: u.weight };
    }
  };
}
