/**
 * Feeds stored updates of a round to the aggregation rules: decode, dequantise and clip each one to the
 * server bound in one fused pass into a reused buffer, one update at a time, so aggregation memory does not
 * grow with the number of clients. The yielded delta is only valid until the next one is pulled (every
 * rule consumes or copies it at once).
 */
import { decodeUpdate } from '@perch/model/federated/index.ts';
import type { Layout } from '@perch/model/privacy/index.ts';
import type { DeltaSource } from '../aggregate/index.js';
import type { AggregatorStore } from '../store/types.js';
import { quantizedNorm } from './validate-upload.js';

export function storedUpdateSource(store: AggregatorStore, roundId: number, layout: Layout, bound: number): DeltaSource {
  return async function* () {
    const delta = new Float32Array(layout.size);
    for await (const u of store.iterateUpdates(roundId)) {
      const d = decodeUpdate(u.payload, { layout, view: true });
      // Stored payloads were validated on upload; a failure here means the store was tampered with.
      if (!d.ok) throw new Error(`stored update ${u.key} no longer decodes: ${d.error.message}`);
      const { norm } = quantizedNorm(d.update, layout);
      const clip = norm > bound ? bound / norm : 1; // server-side clipping to the announced bound
      for (let t = 0; t < layout.tensors.length; t++) {
        const start = layout.offsets[t]!, end = t + 1 < layout.offsets.length ? layout.offsets[t + 1]! : layout.size;
        const f = d.update.scales[t]! * clip;
        for (let i = start; i < end; i++) delta[i] = d.update.q[i]! * f;
      }
      yield { delta, weight: u.weight };
    }
  };
}
