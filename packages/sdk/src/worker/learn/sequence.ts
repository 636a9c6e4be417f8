/**
 * The device's stored events → one training sequence in the base model's rows (newest `maxLen` events).
 * Items the model's vocabulary does not know are left out: their rows would be the shared "unknown" row 0,
 * and training on it is meaningless. Only item rows, event kinds and time-gap buckets enter training; item
 * ids, list ids and timestamps never leave this function (the upload carries dense-weight deltas only).
 */
import type { Sequence } from '@perch/model/data';
import type { VocabJson } from '@perch/model/export';
import type { PerchEvent } from '../../shared/events/index.js';
import { EventMapper } from '../serve/featurise/events.js';

export function deviceSequence(events: readonly PerchEvent[], vocab: VocabJson, maxLen = 50): Sequence {
  const mapper = new EventMapper(vocab);
  const items: number[] = [], kinds: number[] = [], gaps: number[] = [];
  let prevTs: number | null = null;
  for (const e of events) {
    for (const m of mapper.toModel(e, prevTs)) {
      if (m.item > 0) { items.push(m.item); kinds.push(m.kind); gaps.push(m.gap); }
    }
    prevTs = e.ts;
  }
  const from = Math.max(0, items.length - maxLen);
  return {
    key: 'device',
    items: Int32Array.from(items.slice(from)),
    kinds: Uint8Array.from(kinds.slice(from)),
    gaps: Uint8Array.from(gaps.slice(from)),
  };
}
