/**
 * The local training recipe of a round: how a device turns its own sequence into a dense-weight delta.
 * The aggregator announces it with every round (`RoundDescription.local`), because its server optimiser is
 * tuned to what the devices send; the SDK worker and the simulator run it through the same `localTrain`.
 *
 * The default is FedSGD with the trainer's loss (docs/federated.md, "One round on a device"): one SGD step at learning rate 1 on the
 * whole sequence, so the delta is the device's gradient; 1,024 negatives drawn ∝ (count + 1)^0.5 from the
 * model's item counts (`vocab.itemCounts`) and a virtual batch of 2,048 stand-in targets
 * (`LossConfig.virtualBatch`); dropout 0.3, kept against the trainer's 0.5 on validation
 * (docs/experiments/2026-12-07-simulator-schedule-and-recipe-on-validation.md). Without item counts (an older
 * model) the negatives are uniform and there is no virtual batch.
 */
import type { LossConfig } from '@perch/model/plain';
import { SHARED_DENSE_WEIGHTS } from '@perch/model/spec';

export interface LocalRecipe {
  /** Passes over the device's sequence; each pass is one SGD step on the whole sequence. */
  epochs: number;
  /** SGD learning rate (with 1 epoch at 1, the delta is the gradient: FedSGD). */
  learningRate: number;
  /** Sampled negatives per step. */
  negatives: number;
  /** Stand-ins for the in-batch targets of a trainer batch of this many positions (needs item counts). */
  virtualBatch: number;
  /** Dropout on the input vector and on the state that feeds the heads (training only). */
  dropout: number;
  /**
   * Shared dense tensors the device leaves at the global value: their part of the delta is zero, so they take
   * none of the clip bound C, and the aggregator zeroes their part of the noisy mean. Default: the event-kind and
   * time-gap embeddings, chosen on Beauty (docs/experiments/2026-12-02-frozen-input-embeddings.md,
   * docs/experiments/2026-12-03-five-seeds-spec-v2.md) and confirmed on its validation split
   * (docs/experiments/2026-12-07-simulator-schedule-and-recipe-on-validation.md). `[]` trains every shared dense tensor.
   */
  frozen: readonly string[];
}

export const DEFAULT_RECIPE: Readonly<LocalRecipe> = { epochs: 1, learningRate: 1, negatives: 1024, virtualBatch: 2048, dropout: 0.3, frozen: ['event_emb', 'gap_emb'] };

/** The shared dense tensors a recipe trains: every one but those it freezes, in `SHARED_DENSE_WEIGHTS` order. */
export const trainedBy = (r: Pick<LocalRecipe, 'frozen'>): string[] => SHARED_DENSE_WEIGHTS.filter((n) => !r.frozen.includes(n));

/**
 * The recipe of a secure-aggregation round: the default one, training only the tensors in `SECAGG_TRAINED`.
 * A secure-aggregation round's masked vector carries only the trained tensors, so this set fixes the upload's size
 * and how much discrete-Gaussian noise each released value gets for the same ε. The output projection and the
 * attribute transform: how the query meets the items and how every item is represented, in 8,256 values where
 * every dense tensor but the input embeddings would be 34,000 (over 64 KB at 15 bits). Chosen on validation over
 * `attr_tr` alone (docs/experiments/2026-12-06-secagg-trained-tensors.md).
 */
export const SECAGG_TRAINED: readonly string[] = ['out_w', 'out_b', 'attr_tr'];
export const DEFAULT_SECAGG_RECIPE: Readonly<LocalRecipe> = {
  ...DEFAULT_RECIPE, frozen: SHARED_DENSE_WEIGHTS.filter((n) => !SECAGG_TRAINED.includes(n)),
};

type NumericField = Exclude<keyof LocalRecipe, 'frozen'>;

/** Bounds of every numeric field; a device refuses a round whose recipe leaves them (privacy/policy.ts). */
const BOUNDS: Record<NumericField, [number, number, boolean]> = {
  epochs: [1, 20, true], learningRate: [1e-5, 10, false], negatives: [1, 8192, true], virtualBatch: [0, 8192, true], dropout: [0, 0.9, false],
};

const isDense = (v: unknown): v is string => typeof v === 'string' && (SHARED_DENSE_WEIGHTS as readonly string[]).includes(v);

/** A frozen list is valid when it names shared dense tensors only, each once, and leaves at least one trained. */
function frozenProblem(v: unknown): string | null {
  if (!Array.isArray(v)) return 'local frozen must be an array of shared dense tensor names';
  const unknown = v.filter((n) => !isDense(n));
  if (unknown.length > 0) return `local frozen names unknown tensors: ${unknown.map(String).join(', ')}`;
  if (new Set(v).size !== v.length) return 'local frozen lists a tensor twice';
  if (v.length >= SHARED_DENSE_WEIGHTS.length) return 'local frozen must leave at least one tensor trained';
  return null;
}

/** The command-line form of a frozen list (aggregator and simulator flags): comma-separated names, or `none`. */
export const frozenFromFlag = (text: string): string[] => (text === 'none' ? [] : text.split(','));

/** Problems with a recipe (empty when it is valid as given): the aggregator checks what it announces, a device what it receives. */
export function recipeProblems(r: LocalRecipe): string[] {
  const bad: string[] = [];
  for (const [k, [lo, hi, int]] of Object.entries(BOUNDS) as Array<[NumericField, [number, number, boolean]]>) {
    const v = r[k];
    if (!Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) bad.push(`local ${k} must be ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${v}`);
  }
  const f = frozenProblem(r.frozen);
  if (f) bad.push(f);
  return bad;
}

/**
 * The loss of a local step under `r`: the on-device defaults (purchase head on, category head off: a device's
 * categories are too few to train it) with the recipe's negatives, virtual batch and dropout; negatives are
 * drawn ∝ (count + 1)^0.5 as in the trainer (uniform when the counts are all zero).
 */
export function recipeLoss(r: LocalRecipe): LossConfig {
  return {
    negatives: r.negatives, negAlpha: 0.5, dropoutIn: r.dropout, dropoutOut: r.dropout, intentWeight: 0.1, categoryWeight: 0,
    maxLen: 50, virtualBatch: r.virtualBatch,
  };
}

/**
 * The model's item counts (`vocab.itemCounts`) when they are usable: one finite, non-negative number per item
 * row (numItems + 1) and at least one occurrence. Anything else → undefined (uniform negatives, no virtual batch).
 */
export function readItemCounts(raw: unknown, numItems: number): Float64Array | undefined {
  if (!Array.isArray(raw) || raw.length !== numItems + 1) return undefined;
  const c = new Float64Array(numItems + 1);
  let tot = 0;
  for (let i = 0; i <= numItems; i++) {
    const v = raw[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
    c[i] = v; tot += v;
  }
  return tot > 0 ? c : undefined;
}
