/**
 * The Perch GRU intent model, as a contract between the trainer (plain-TypeScript kernels in Node),
 * the TensorFlow.js implementation (browser worker) and the federated code. All weights are named
 * float32 tensors stored row-major. A GRU4Rec-style session model (Hidasi et al. 2016, 2018):
 *
 *   itemRep(i) = item_emb[i] + (mean_{a in attrs(i)} attr_emb[a]) · attr_tr    (0 attrs → item_emb[i] only; v3)
 *   x_t        = itemRep(i_t) + event_emb[e_t] + gap_emb[g_t]
 *   GRU (gate order r, z, n; PyTorch/cuDNN formulation):
 *     r = σ(x Wx_r + bx_r + h Wh_r + bh_r)
 *     z = σ(x Wx_z + bx_z + h Wh_z + bh_z)
 *     n = tanh(x Wx_n + bx_n + r ⊙ (h Wh_n + bh_n))
 *     h' = (1 − z) ⊙ n + z ⊙ h
 *   q          = h' out_w + out_b + x_t                                  (query, size d; x_t: input skip, v2)
 *   score(i)   = q · itemRep(i) + item_bias[i]                            (tied with the input side)
 *   P(purchase)= σ(h' · intent_w + intent_b)
 *   category   = softmax(h' cat_w + cat_b)
 *
 * Row 0 of item_emb / attr_emb / item_bias is padding/unknown: an item unknown to the vocabulary is
 * represented by its attributes alone (cold start). The trainer owns this file; it may add tensors
 * (documented here) but never silently change the meaning of an existing one.
 *
 * Conventions the trainer uses (no tensor changes; see docs/model.md):
 * - Dropout (training only) applies to x_t and to h' where it feeds the heads, never on the recurrent path;
 *   inference uses no dropout and no scaling.
 * - Category head: class 0 is 'unknown', so numCategories ≥ 1 always (no zero-size tensors). It is trained
 *   only on datasets with readable categories (event logs); for Beauty (anonymised attributes) it stays at init.
 * - Purchase head: trained only on typed event logs; target = "a purchase follows later in this session".
 * - Time gap of the first event of a sequence, or of any event without timestamps, is the last (open-ended)
 *   bucket GAP_BUCKETS_S.length − 1. Sequence files (S3-Rec) have no event types: every event is 'purchase'
 *   (a review is a purchase-like signal).
 * - Scores are logits; the trainer's logQ correction is used only in training, never at inference.
 */
export const MODEL_SPEC_VERSION = 3;

/** Spec versions `loadExport` reads: a v2 file is a v3 model with `attr_tr` the identity (see the history). */
export const READABLE_SPEC_VERSIONS: readonly number[] = [2, 3];

/**
 * Spec history. v2 added the input skip `+ x_t` to the query: the last event's own representation reaches the
 * scorer directly, so item-to-item transitions (what a first-order Markov chain captures, strong on sparse
 * catalogs) are learned by the embeddings instead of having to pass through the GRU's squashing gates. On Amazon
 * Beauty it was the change that moved the model past Markov on NDCG (docs/experiments/2026-11-23-gru-beauty-rees46.md,
 * runs 7–8). No tensor changed; the recurrent state became [h | x_t] (hidden + dim values), see `stateSize`.
 *
 * v3 added `attr_tr` (d × d), a dense transform of the attribute part of every item's representation. It is
 * shared by all items and is a dense weight, so federated devices train and upload it (item and attribute
 * rows never leave a device): without it a device could change how the query is formed but not how any item is
 * represented, and on the simulation seeds where DP at ε 8 failed that left almost no headroom for dense-only
 * training (docs/experiments/2026-12-03-attribute-transform.md). Identity-initialised, so a v2 model is the v3
 * model with `attr_tr = I`: the loader upgrades v2 files that way (`upgradeWeights`).
 */
export const stateSize = (m: Pick<ModelDims, 'hidden' | 'dim'>): number => m.hidden + m.dim;

/** Event kinds the model distinguishes (index = row of event_emb). */
export const EVENT_KINDS = ['view', 'click', 'cart', 'remove', 'purchase', 'search', 'wishlist', 'checkout'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * The SDK's stored (GA4) event types → event kinds, shared by the worker's live intent state and the trainer's
 * readers, so a model trained on Perch's exports sees what a device sees. Types absent here (list impressions,
 * `view_cart`) carry no item intent.
 */
export const GA4_EVENT_KINDS: Readonly<Record<string, EventKind>> = {
  view_item: 'view', select_item: 'click', add_to_cart: 'cart', remove_from_cart: 'remove', purchase: 'purchase',
  search: 'search', view_search_results: 'search', add_to_wishlist: 'wishlist', begin_checkout: 'checkout',
};

/** Items of one event that become model steps: bounded, so a step stays O(1) per event (worker and trainer). */
export const MAX_ITEMS_PER_EVENT = 3;

/** Upper bounds (seconds) of the time-gap buckets (index = row of gap_emb); the last bucket is open-ended. */
export const GAP_BUCKETS_S = [0, 10, 60, 300, 1800, 3 * 3600, 24 * 3600, 7 * 24 * 3600, Infinity] as const;

export interface ModelDims {
  /** Items in the vocabulary, excluding the padding row 0. */
  numItems: number;
  /** Attribute ids, excluding the padding row 0. */
  numAttrs: number;
  /** Categories of the category-intent head. */
  numCategories: number;
  /** Embedding size d. */
  dim: number;
  /** GRU hidden size h. */
  hidden: number;
}

/** Name → shape of every weight tensor. */
export function weightShapes(m: ModelDims): Record<string, number[]> {
  const { numItems: V, numAttrs: A, numCategories: C, dim: d, hidden: h } = m;
  return {
    item_emb: [V + 1, d],
    attr_emb: [A + 1, d],
    item_bias: [V + 1],
    attr_tr: [d, d],
    event_emb: [EVENT_KINDS.length, d],
    gap_emb: [GAP_BUCKETS_S.length, d],
    gru_wx: [d, 3 * h],
    gru_wh: [h, 3 * h],
    gru_bx: [3 * h],
    gru_bh: [3 * h],
    out_w: [h, d],
    out_b: [d],
    intent_w: [h],
    intent_b: [1],
    cat_w: [h, C],
    cat_b: [C],
  };
}

/**
 * Dense weights shared by every shopper: the only ones a federated client may upload. Item and attribute
 * embedding rows (and item_bias) are never uploaded: which rows changed would reveal which items the
 * shopper touched. `attr_tr` is one matrix shared by every item: all of it moves with any update, so its delta
 * has no such row pattern; like every other dense tensor it is a gradient of the device's data, which the
 * clip and the Gaussian noise bound (privacy/index.ts).
 */
export const SHARED_DENSE_WEIGHTS = ['event_emb', 'gap_emb', 'gru_wx', 'gru_wh', 'gru_bx', 'gru_bh', 'out_w', 'out_b', 'intent_w', 'intent_b', 'cat_w', 'cat_b', 'attr_tr'] as const;

export type Weights = Record<string, Float32Array>;

/** The d × d identity, row-major: `attr_tr`'s initial value and its value in a v2 model. */
export function identity(d: number): Float32Array {
  const t = new Float32Array(d * d);
  for (let k = 0; k < d; k++) t[k * d + k] = 1;
  return t;
}

/**
 * The weights of a model written under spec `version` as this spec's tensors: a v2 model gains
 * `attr_tr = I` (the same scores); the current version is returned as is. Other versions throw.
 */
export function upgradeWeights(version: number, dims: ModelDims, w: Weights): Weights {
  if (version === MODEL_SPEC_VERSION) return w;
  if (version === 2 && !w.attr_tr) return { ...w, attr_tr: identity(dims.dim) };
  throw new Error(`weights: spec version ${version} cannot be read as version ${MODEL_SPEC_VERSION}`);
}

/**
 * Checks that `weights` holds every tensor of `weightShapes(dims)` with the right element count and only
 * finite values; throws an error naming the first offending tensor.
 */
export function validateWeights(dims: ModelDims, weights: Weights): void {
  for (const [name, shape] of Object.entries(weightShapes(dims))) {
    const w = weights[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (!w) throw new Error(`weights: missing tensor "${name}" (shape [${shape.join(', ')}])`);
    if (w.length !== size) throw new Error(`weights: "${name}" has ${w.length} values, expected ${size} for shape [${shape.join(', ')}]`);
    for (let i = 0; i < w.length; i++) {
      if (!Number.isFinite(w[i])) throw new Error(`weights: "${name}" holds a non-finite value at ${i}`);
    }
  }
}

/** Whether `a` names an attribute row of a model with `numAttrs` attributes (row 0 is padding): the rows a cold item's list may use. */
export const isAttrRow = (a: number, numAttrs: number): boolean => Number.isInteger(a) && a > 0 && a <= numAttrs;
