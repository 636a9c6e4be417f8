/** Types shared by the TensorFlow.js model, the export format and the benchmarks. */

/**
 * One event as the model consumes it, already mapped to rows of the weight tables.
 * `item` is the row of `item_emb` (1..numItems); 0 means "unknown to the vocabulary", and then `attrs`
 * (rows of `attr_emb`) describe the item for a cold start. `kind` indexes `EVENT_KINDS`, `gap` indexes
 * `GAP_BUCKETS_S`.
 */
export interface ModelEvent {
  item: number;
  kind: number;
  gap: number;
  /** Attribute rows of an item the vocabulary does not know; ignored for a known item (its own table is used). */
  attrs?: readonly number[];
}

/**
 * The live intent state after the last event. Plain data (not a tensor) so it can be saved to IndexedDB, posted
 * between threads and survive a backend being lost.
 */
export interface ModelState {
  /** The recurrent state vector [h | x] (spec.ts `stateSize`): the GRU hidden vector, then the last event's input. */
  readonly h: Float32Array;
  /** Events folded into `h` so far. */
  readonly length: number;
}

/** A candidate to score: an item row, or an item the vocabulary does not know, described by its attributes. */
export type Candidate = number | { readonly attrs: readonly number[] };

/** Output of the intent heads. */
export interface Intent {
  /** P(purchase) from the purchase-intent head. */
  purchase: number;
  /** Softmax over categories (row order of `cat_w` columns). */
  categories: Float32Array;
}

/** `attrs[i]` = attribute rows of item row i (index 0 = padding, usually empty). */
export type ItemAttributes = ReadonlyArray<readonly number[]>;
