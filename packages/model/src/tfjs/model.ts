import * as tf from '@tensorflow/tfjs-core';
import { EVENT_KINDS, GAP_BUCKETS_S, stateSize, type ModelDims, type Weights } from '../spec.js';
import { buildAttrTable, sliceAttrTable, type AttrTable } from './attr-table.js';
import { buildInferTables, disposeInferTables, eventRow, type InferTables } from './infer-tables.js';
import { fusedGruStep, hasFusedGruStep } from './fused-cell.js';
import { gruCell, inputs, itemReps } from './ops.js';
import type { Candidate, Intent, ItemAttributes, ModelEvent, ModelState } from './types.js';
import { need, readVariables, toVariables, type TfWeights } from './weights.js';

/** Rows per chunk when the catalog representations are (re)built: bounds the padded-gather temporaries. */
const CATALOG_CHUNK = 4096;

/**
 * The Perch GRU model on TensorFlow.js (any registered backend). Inference keeps the catalog item
 * representations cached as one (V+1, d) tensor, so `step` is O(1) in the history length and `topK` is one
 * matMul + topk. Every public method runs its ops in `tf.tidy` and returns plain arrays.
 */
export class TfGruModel {
  readonly dims: ModelDims;
  /** Trainable weights (the training step updates them in place). */
  readonly vars: TfWeights;
  /** Padded attribute table of the catalog (row = item row). */
  readonly catalog: AttrTable;
  private repsCache: tf.Tensor2D | null = null;
  private tablesCache: InferTables | null = null;
  /** Use the hand-fused step kernel on cpu and wasm (see fused-cell.ts); false forces the stacked ops. */
  fusedCell = true;

  constructor(dims: ModelDims, weights: Weights, itemAttrs: ItemAttributes = []) {
    this.dims = dims;
    const lists: (readonly number[])[] = [];
    for (let r = 0; r <= dims.numItems; r++) lists.push(r === 0 ? [] : (itemAttrs[r] ?? []));
    this.catalog = buildAttrTable(lists, dims.numAttrs);
    this.vars = toVariables(dims, weights);
  }

  /** The zero state before any event. */
  initialState(): ModelState {
    return { h: new Float32Array(stateSize(this.dims)), length: 0 };
  }

  /** Advances the state by one event: O(1), the history is never replayed. */
  async step(state: ModelState, event: ModelEvent): Promise<ModelState> {
    const kind = this.kind(event);
    const gap = this.gap(event);
    const out = tf.tidy(() => {
      const t = this.tables();
      const x = this.isKnown(event.item)
        ? tf.sum(tf.gather(t.input, tf.tensor1d(Int32Array.of(event.item, eventRow(this.dims.numItems, kind, gap)), 'int32')), 0, true)
        : tf.add(this.inputReps([event]), tf.gather(t.input, tf.tensor1d(Int32Array.of(eventRow(this.dims.numItems, kind, gap)), 'int32')));
      const v = this.vars;
      let h: tf.Tensor2D;
      if (this.fusedCell && hasFusedGruStep()) h = fusedGruStep(x as tf.Tensor2D, this.hTensor(state), { wx: need(v, 'gru_wx'), bx: need(v, 'gru_bx'), wh: need(v, 'gru_wh'), bh: need(v, 'gru_bh') });
      else {
        const gx = tf.fused.matMul({ a: x as tf.Tensor2D, b: need(v, 'gru_wx') as tf.Tensor2D, bias: need(v, 'gru_bx') }) as tf.Tensor2D;
        h = gruCell(gx, this.hTensor(state), need(v, 'gru_wh') as tf.Tensor2D, need(v, 'gru_bh') as tf.Tensor1D);
      }
      return tf.concat([h, x as tf.Tensor2D], 1); // the state is [h | x] (spec v2: x feeds the query)
    });
    return { h: await readAndDispose(out), length: state.length + 1 };
  }

  /** Runs a whole history from `state` (default: empty); returns the final state and every hidden state (T×h). */
  async forward(history: readonly ModelEvent[], state: ModelState = this.initialState()): Promise<{ state: ModelState; hidden: Float32Array }> {
    if (history.length === 0) return { state, hidden: new Float32Array(0) };
    const kinds = Int32Array.from(history, (e) => this.kind(e));
    const gaps = Int32Array.from(history, (e) => this.gap(e));
    const T = history.length;
    const [all, lastX] = tf.tidy(() => {
      const v = this.vars;
      const x = inputs(this.vars, this.inputReps(history), kinds, gaps);
      const last = tf.slice(x, [T - 1, 0], [1, -1]);
      if (this.fusedCell && hasFusedGruStep()) {
        // cpu / wasm: inputs x for the whole history in a few ops, then one fused kernel per event.
        const w = { wx: need(v, 'gru_wx'), bx: need(v, 'gru_bx'), wh: need(v, 'gru_wh'), bh: need(v, 'gru_bh') };
        let h = this.hTensor(state);
        const hs: tf.Tensor2D[] = [];
        for (let t = 0; t < T; t++) hs.push((h = fusedGruStep(tf.slice(x, [t, 0], [1, -1]) as tf.Tensor2D, h, w)));
        return [tf.concat(hs, 0), last];
      }
      const gx = tf.fused.matMul({ a: x, b: need(v, 'gru_wx') as tf.Tensor2D, bias: need(v, 'gru_bx') }) as tf.Tensor2D;
      const wh = need(this.vars, 'gru_wh') as tf.Tensor2D;
      const bh = need(this.vars, 'gru_bh') as tf.Tensor1D;
      let h = this.hTensor(state);
      const hs: tf.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        h = gruCell(tf.slice(gx, [t, 0], [1, -1]), h, wh, bh);
        hs.push(h);
      }
      return [tf.concat(hs, 0), last];
    });
    const [hidden, x] = [await readAndDispose(all), await readAndDispose(lastX)];
    const H = this.dims.hidden;
    const next = new Float32Array(stateSize(this.dims));
    next.set(hidden.subarray(hidden.length - H));
    next.set(x, H);
    return { state: { h: next, length: state.length + T }, hidden };
  }

  /** Scores candidates (item rows, or attribute-only cold items) for the state; higher = more likely next. */
  async score(state: ModelState, candidates: readonly Candidate[]): Promise<Float32Array> {
    const rows: number[] = [];
    const cold: (readonly number[])[] = [];
    const where: number[] = []; // ≥ 0: index into rows, < 0: −1 − index into cold
    for (const c of candidates) {
      if (typeof c === 'number' && this.isKnown(c)) where.push(rows.push(c) - 1);
      else where.push(-1 - (cold.push(typeof c === 'number' ? [] : c.attrs) - 1));
    }
    const [known, coldScores] = await Promise.all([this.scoreRows(state, Int32Array.from(rows)), this.scoreCold(state, cold)]);
    return Float32Array.from(where, (i) => (i >= 0 ? (known[i] as number) : (coldScores[-1 - i] as number)));
  }

  /** The k best catalog items (never the padding row 0, nor any row in `exclude`), best first. */
  async topK(state: ModelState, k: number, exclude: Iterable<number> = []): Promise<{ items: Int32Array; scores: Float32Array }> {
    const skip = new Set<number>(exclude);
    skip.add(0);
    const n = Math.min(this.dims.numItems + 1, k + skip.size);
    const { values, indices } = tf.tidy(() => {
      return tf.topk(tf.reshape(tf.matMul(this.tables().catalog, this.query1(state), false, true), [-1]), n, true);
    });
    const [vals, idx] = [await readAndDispose(values), (await indices.data()) as Int32Array];
    indices.dispose();
    const items: number[] = [];
    const scores: number[] = [];
    for (let i = 0; i < idx.length && items.length < k; i++) {
      if (skip.has(idx[i] as number)) continue;
      items.push(idx[i] as number);
      scores.push(vals[i] as number);
    }
    return { items: Int32Array.from(items), scores: Float32Array.from(scores) };
  }

  /** Intent heads: purchase probability and the category distribution. */
  async intent(state: ModelState): Promise<Intent> {
    const [p, c] = tf.tidy(() => {
      const h = this.hTensor(state);
      const logit = tf.add(tf.sum(tf.mul(h, need(this.vars, 'intent_w'))), need(this.vars, 'intent_b'));
      return [tf.sigmoid(logit), tf.softmax(tf.add(tf.matMul(h, need(this.vars, 'cat_w') as tf.Tensor2D), need(this.vars, 'cat_b')))];
    });
    return { purchase: (await readAndDispose(p))[0] as number, categories: await readAndDispose(c) };
  }

  /** Current weights as plain arrays. */
  getWeights(): Promise<Weights> {
    return readVariables(this.vars);
  }

  /** Drops the cached catalog representations (call after the weights change). */
  invalidate(): void {
    this.repsCache?.dispose();
    this.repsCache = null;
    disposeInferTables(this.tablesCache);
    this.tablesCache = null;
  }

  /** Frees every tensor the model owns. */
  dispose(): void {
    this.invalidate();
    for (const v of Object.values(this.vars)) v.dispose();
  }

  /** Cached (V+1, d) catalog representations, built in chunks on first use. */
  reps(): tf.Tensor2D {
    if (!this.repsCache) {
      const n = this.catalog.rows;
      // tf.keep: the first use may happen inside a caller's tidy, which would otherwise free the cache.
      this.repsCache = tf.keep(tf.tidy(() => {
        const parts: tf.Tensor2D[] = [];
        for (let s = 0; s < n; s += CATALOG_CHUNK) {
          const e = Math.min(n, s + CATALOG_CHUNK);
          parts.push(itemReps(this.vars, Int32Array.from({ length: e - s }, (_, i) => s + i), sliceAttrTable(this.catalog, s, e)));
        }
        return parts.length === 1 ? (parts[0] as tf.Tensor2D) : tf.concat(parts, 0);
      }));
    }
    return this.repsCache;
  }

  private async scoreRows(state: ModelState, rows: Int32Array): Promise<Float32Array> {
    if (rows.length === 0) return new Float32Array(0);
    const out = tf.tidy(() => tf.matMul(tf.gather(this.tables().catalog, tf.tensor1d(rows, 'int32')), this.query1(state), false, true));
    return readAndDispose(out);
  }

  /** Inference tables (see infer-tables.ts), built with the catalog representations. */
  private tables(): InferTables {
    // tf.keep: the first use may happen inside a caller's tidy.
    if (!this.tablesCache) this.tablesCache = tf.tidy(() => {
      const t = buildInferTables(this.vars, this.reps());
      return { input: tf.keep(t.input), catalog: tf.keep(t.catalog), outW: tf.keep(t.outW), outB: tf.keep(t.outB) };
    });
    return this.tablesCache;
  }

  /** [q | 1] for a state (q = h·out_w + out_b + x): the score of a catalog row is then one dot product with `catalog`. */
  private query1(state: ModelState): tf.Tensor2D {
    const t = this.tables();
    const { hidden: H, dim: d } = this.dims;
    const skip = new Float32Array(d + 1);
    skip.set(state.h.subarray(H, H + d));
    return tf.add(tf.fused.matMul({ a: this.hTensor(state), b: t.outW, bias: t.outB }), tf.tensor2d(skip, [1, d + 1])) as tf.Tensor2D;
  }

  private async scoreCold(state: ModelState, attrs: (readonly number[])[]): Promise<Float32Array> {
    if (attrs.length === 0) return new Float32Array(0);
    const out = tf.tidy(() => {
      const rows = new Int32Array(attrs.length); // row 0: the unknown item's own embedding and bias
      const c = itemReps(this.vars, rows, buildAttrTable(attrs, this.dims.numAttrs));
      const withBias = tf.concat([c, tf.expandDims(tf.gather(need(this.vars, 'item_bias'), tf.tensor1d(rows, 'int32')), 1)], 1);
      return tf.matMul(withBias, this.query1(state), false, true);
    });
    return readAndDispose(out);
  }

  /** Input item representations for events: cached rows for known items, attributes for cold ones. */
  private inputReps(events: readonly ModelEvent[]): tf.Tensor2D {
    if (events.every((e) => this.isKnown(e.item))) return tf.gather(this.reps(), tf.tensor1d(Int32Array.from(events, (e) => e.item), 'int32'));
    const lists = events.map((e) => (this.isKnown(e.item) ? this.catalogAttrs(e.item) : (e.attrs ?? [])));
    const rows = Int32Array.from(events, (e) => (this.isKnown(e.item) ? e.item : 0));
    return itemReps(this.vars, rows, buildAttrTable(lists, this.dims.numAttrs));
  }

  private catalogAttrs(row: number): number[] {
    const { idx, width } = this.catalog;
    return Array.from(idx.subarray(row * width, (row + 1) * width)).filter((a) => a > 0);
  }

  private isKnown(item: number): boolean {
    return Number.isInteger(item) && item > 0 && item <= this.dims.numItems;
  }

  private kind(e: ModelEvent): number {
    if (!Number.isInteger(e.kind) || e.kind < 0 || e.kind >= EVENT_KINDS.length) throw new RangeError(`event kind ${e.kind} is not an index of EVENT_KINDS`);
    return e.kind;
  }

  private gap(e: ModelEvent): number {
    if (!Number.isInteger(e.gap) || e.gap < 0 || e.gap >= GAP_BUCKETS_S.length) throw new RangeError(`gap ${e.gap} is not an index of GAP_BUCKETS_S`);
    return e.gap;
  }

  /** The GRU hidden part of a state, as a (1, hidden) tensor. */
  private hTensor(state: ModelState): tf.Tensor2D {
    const n = stateSize(this.dims);
    if (state.h.length !== n) throw new RangeError(`state has ${state.h.length} values, the model's state size is ${n} (hidden ${this.dims.hidden} + dim ${this.dims.dim})`);
    return tf.tensor2d(state.h.subarray(0, this.dims.hidden), [1, this.dims.hidden]);
  }
}

/** Reads a tensor's values and frees it. */
async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Creates the model from weights laid out as in `spec.ts` and the item → attribute-rows lists (row order). */
export function createModel(dims: ModelDims, weights: Weights, itemAttrs?: ItemAttributes): TfGruModel {
  return new TfGruModel(dims, weights, itemAttrs);
}
