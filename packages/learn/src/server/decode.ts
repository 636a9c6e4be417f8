/**
 * Decode: turns a round's stored payloads into deltas for the aggregation rules. Each one is decoded,
 * dequantised and clipped to the server bound in one fused pass into a reused buffer, one update at a time, so
 * aggregation memory does not grow with the number of clients. The yielded delta is only valid until the next
 * one is pulled (every rule consumes or copies it at once).
 */
import { decodeUpdate, type Layout, type UpdatePayload } from '../update/index.js';
import type { DeltaSource } from './aggregate/index.js';

/** One stored upload as the aggregator keeps it: its key (for errors), raw wire bytes and aggregation weight. */
export interface StoredPayload { key: string; payload: Uint8Array; weight: number }

/** L2 norm of the dequantised update, and whether every dequantised value is a finite float32. */
export function quantizedNorm(u: UpdatePayload, layout: Layout): { norm: number; finite: boolean } {
  const q = u.q, offsets = layout.offsets;
  let sq = 0;
  for (let t = 0; t < offsets.length; t++) {
    const start = offsets[t]!, end = t + 1 < offsets.length ? offsets[t + 1]! : q.length;
    const s = u.scales[t]!;
    if (!Number.isFinite(Math.fround(s * 128))) return { norm: Infinity, finite: false };
    let qq = 0; // exact: at most 128² · 2³¹ < 2⁵³
    for (let i = start; i < end; i++) { const v = q[i]!; qq += v * v; }
    sq += s * s * qq;
  }
  return { norm: Math.sqrt(sq), finite: true };
}

/** A re-iterable source of the payloads' clipped deltas (`records` is called again for every pass). */
export function payloadSource(records: () => AsyncIterable<StoredPayload> | Iterable<StoredPayload>, layout: Layout, bound: number): DeltaSource {
  return async function* () {
    const delta = new Float32Array(layout.size);
    for await (const u of records()) {
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
