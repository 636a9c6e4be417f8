/**
 * The attacked device, exactly as a real one runs a round: local training with the default recipe
 * (`LocalTrainer`, `DEFAULT_RECIPE`, the model's item counts, the SDK's stability clip) from the public model,
 * then `makeUpdate` (clip to C, N(0, (zC)²) noise, int8 stochastic quantisation, wire encoding). One training
 * per device; its delta is released once per noise level, so every noise level sees the same device and the
 * same training randomness. Also records what the device touched: the distinct items of the sequence it trained
 * on (its newest maxLen events) and their attributes, the answer the attack is scored against.
 */
import type { Sequence } from '@perch/model/data';
import { makeUpdate, LocalTrainer, DEFAULT_RECIPE, recipeLoss } from '@perch/learn/client';
import { attributesOf, type Knowledge } from './knowledge.js';
import { Rng } from '@perch/model/rng';

/** The cap on the client weight a round announces (the simulator's): a noiseless upload's weight reveals min(positions, cap). */
export const MAX_CLIENT_WEIGHT = 32;

/** One device's ground truth and its uploads, one per noise level. */
export interface DeviceUploads {
  /** Distinct item rows the device trained on, ascending. */
  items: Int32Array;
  /** Distinct attribute rows of those items, ascending. */
  attrs: Int32Array;
  /** The wire bytes it uploads at each noise level (same order as the levels). */
  uploads: Uint8Array[];
}

/** Trains devices one after another from one public model (the simulator's reusable trainer); deterministic for a seed. */
export class DeviceSide {
  private readonly trainer: LocalTrainer;
  private readonly maxLen = recipeLoss(DEFAULT_RECIPE).maxLen;

  constructor(private readonly k: Knowledge, private readonly seed: number) {
    const m = k.model;
    this.trainer = new LocalTrainer(m.dims, m.weights, m.attrs, k.layout, {
      recipe: { ...DEFAULT_RECIPE, frozen: [...DEFAULT_RECIPE.frozen] }, counts: m.counts, seed, gradClip: 5, typedEvents: m.typedEvents,
    });
  }

  /** Runs device number `index` on `seq` and releases its delta at each noise multiplier of `noise` with clip bound `clip`. */
  run(seq: Sequence, index: number, noise: readonly number[], clip: number): DeviceUploads {
    const { delta, positions } = this.trainer.train([seq]);
    const items = Int32Array.from(new Set(seq.items.subarray(Math.max(0, seq.items.length - this.maxLen)))).sort();
    const uploads = noise.map((z, l) => makeUpdate(delta, this.k.layout, {
      roundId: 1, baseVersion: 1, clipBound: clip, noiseMultiplier: z,
      examples: z > 0 ? 1 : positions, maxClientWeight: MAX_CLIENT_WEIGHT, // as the SDK: weight 1 whenever noise is on
      rng: new Rng(((this.seed * 7919 + index) * 31 + l) >>> 0),
    }).bytes);
    return { items, attrs: attributesOf(this.k.model.attrs, items), uploads };
  }
}
