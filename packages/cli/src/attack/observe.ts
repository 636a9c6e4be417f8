/**
 * The attacker's view of one upload: the wire bytes decoded exactly as the aggregator decodes them
 * (`decodeUpdate` against the round's layout, then `updateDelta`), cut into its tensors, with what the round
 * and the header tell about the noise in each tensor: the announced N(0, (zC)²) plus the int8 stochastic
 * rounding (variance f(1 − f)·scale² for a value at fraction f of a step, scale²/6 on average).
 */
import { updateDelta } from '@perch/learn/client';
import { decodeUpdate } from '@perch/learn/update';
import type { Layout } from '@perch/learn/update';

export interface Observation {
  /** The decoded values of a tensor of the layout (a view into the decoded delta). */
  tensor(name: string): Float32Array;
  /** Variance of the noise on each value of a tensor. */
  noiseVar(name: string): number;
  /** The header's client weight when it can be a position count (above 1 and below the announced cap), else null. */
  positions: number | null;
}

/** Decodes `bytes` of a round with noise multiplier `noise`, clip bound `clip` and client-weight cap `cap`; throws on a malformed upload. */
export function observe(bytes: Uint8Array, layout: Layout, round: { noise: number; clip: number; cap: number }): Observation {
  const r = decodeUpdate(bytes, { layout });
  if (!r.ok) throw new Error(`upload does not decode: ${r.error.message}`);
  const delta = updateDelta(r.update, layout);
  const at = (name: string): number => {
    const t = layout.tensors.findIndex((x) => x.name === name);
    if (t < 0) throw new Error(`the layout has no tensor "${name}"`);
    return t;
  };
  const w = r.update.clientWeight;
  return {
    tensor(name) {
      const t = at(name), o = layout.offsets[t]!;
      return delta.subarray(o, o + layout.tensors[t]!.shape.reduce((a, b) => a * b, 1));
    },
    noiseVar(name) { return (round.noise * round.clip) ** 2 + r.update.scales[at(name)]! ** 2 / 6; },
    positions: w > 1 && w < round.cap ? w : null,
  };
}
