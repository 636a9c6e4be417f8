/**
 * The client's side of one round, as a pure function the SDK worker and the simulator both call:
 * clip the dense-weight delta to C, add N(0, (zC)²) noise, quantise to int8 (one scale per tensor), and wrap it
 * in the wire format. The accountant is not touched here: the caller records the participation only after the
 * server acknowledged the upload (or when the update is dropped after being released, to be conservative).
 */
import { clipByL2 } from './clip.js';
import { addGaussianNoise } from './noise.js';
import { dequantizeInt8, quantizeInt8Stochastic } from './quantize.js';
import { randomKeyHex, type Rng } from '../privacy/rng.js';
import type { Layout } from '../update/layout.js';
import { encodeUpdate, type UpdatePayload } from '../update/wire.js';

export interface MakeUpdateOptions {
  roundId: number;
  baseVersion: number;
  /** L2 clip bound C announced by the round. */
  clipBound: number;
  /** Noise multiplier z (0 = no local noise). */
  noiseMultiplier: number;
  /** Number of local examples; capped at `maxClientWeight`. */
  examples: number;
  maxClientWeight: number;
  /** Randomness for noise, rounding and the key: `cryptoRng()` on real clients. */
  rng: Rng;
}

export interface MadeUpdate { payload: UpdatePayload; bytes: Uint8Array }

/** Builds the payload for `delta` (flat, in `layout` order). */
export function makeUpdate(delta: Float32Array, layout: Layout, o: MakeUpdateOptions): MadeUpdate {
  if (delta.length !== layout.size) throw new RangeError(`makeUpdate: delta has ${delta.length} values, layout ${layout.size}`);
  const clipped = clipByL2(delta, o.clipBound);
  const noised = addGaussianNoise(clipped, o.noiseMultiplier * o.clipBound, o.rng);
  const { scales, q } = quantizeInt8Stochastic(noised, o.rng, layout.offsets);
  const payload: UpdatePayload = {
    roundId: o.roundId,
    baseVersion: o.baseVersion,
    layoutHash: layout.hash,
    clientWeight: Math.max(1, Math.min(o.maxClientWeight, Math.floor(o.examples))),
    key: randomKeyHex(o.rng),
    scales,
    q,
  };
  return { payload, bytes: encodeUpdate(payload) };
}

/** The dequantised delta of a decoded update (flat, layout order). */
export function updateDelta(u: UpdatePayload, layout: Layout): Float32Array {
  return dequantizeInt8({ scales: u.scales, q: u.q }, layout.offsets);
}
