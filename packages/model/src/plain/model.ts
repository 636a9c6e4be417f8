import { isAttrRow, type ModelDims, type Weights } from '../spec.js';
import { axpy, dot, sigmoid, vecMat } from './kernels.js';

/** Item → attribute rows in CSR form (as in Dataset). */
export interface ItemAttrs {
  attrOffsets: Int32Array;
  attrIds: Int32Array;
}

/** One input event, as rows: item (0 = unknown, then `attrs` describe it), EVENT_KINDS row, gap bucket. */
export interface StepEvent {
  item: number;
  kind: number;
  gap: number;
  /** Attribute rows of an item unknown to the vocabulary (cold start); ignored for known items. */
  attrs?: ArrayLike<number>;
}

/** The recurrent state (spec.ts): the GRU hidden vector h followed by the last input x, hidden + dim values. */
export type State = Float32Array;

/**
 * Plain Float32Array implementation of the Perch model (spec.ts): inference for Node, the browser floor and
 * federated clients. `step` is O(1) in the history length: only the cached hidden state is carried.
 */
export class PlainModel {
  private reps: Float32Array | null = null;
  private readonly gx: Float32Array;
  private readonly gh: Float32Array;
  private readonly x: Float32Array;
  private readonly q: Float32Array;
  private readonly am: Float32Array;

  constructor(readonly dims: ModelDims, readonly w: Weights, readonly attrs: ItemAttrs) {
    this.gx = new Float32Array(3 * dims.hidden);
    this.gh = new Float32Array(3 * dims.hidden);
    this.x = new Float32Array(dims.dim);
    this.q = new Float32Array(dims.dim);
    this.am = new Float32Array(dims.dim);
  }

  /** Call after changing weights: the item representation cache is rebuilt on next use. */
  invalidate(): void { this.reps = null; }

  /** itemRep(i) = item_emb[i] + (mean attr_emb over i's attributes)·attr_tr, for i in 0..numItems (cached). */
  itemReps(): Float32Array {
    if (this.reps) return this.reps;
    const { numItems: V, dim: d } = this.dims;
    const r = new Float32Array((V + 1) * d);
    for (let i = 0; i <= V; i++) this.itemRepInto(i, r, i * d);
    return (this.reps = r);
  }

  /**
   * Writes the mean attribute embedding of item i at out[o..o+d) (zeros when it has none) and returns its
   * attribute count; `attrs` overrides the item's attribute list (cold start).
   */
  attrMeanInto(i: number, out: Float32Array, o: number, attrs?: ArrayLike<number>): number {
    const d = this.dims.dim, A = this.w.attr_emb!;
    out.fill(0, o, o + d);
    const a0 = attrs ? 0 : this.attrs.attrOffsets[i] ?? 0, a1 = attrs ? attrs.length : this.attrs.attrOffsets[i + 1] ?? 0;
    if (a1 <= a0) return 0;
    const inv = 1 / (a1 - a0);
    for (let p = a0; p < a1; p++) axpy(inv, A, (attrs ? attrs[p]! : this.attrs.attrIds[p]!) * d, out, o, d);
    return a1 - a0;
  }

  /** Writes itemRep(i) at out[o..o+d); `attrs` overrides the item's attribute list (cold start). */
  itemRepInto(i: number, out: Float32Array, o: number, attrs?: ArrayLike<number>): void {
    this.repFromMean(i, this.am, 0, this.attrMeanInto(i, this.am, 0, attrs), out, o);
  }

  /** Writes item_emb[i] + mean·attr_tr at out[o..o+d), from i's mean attribute embedding at mean[mo..] and its attribute count n. */
  repFromMean(i: number, mean: Float32Array, mo: number, n: number, out: Float32Array, o: number): void {
    const d = this.dims.dim;
    if (n > 0) vecMat(mean, mo, this.w.attr_tr!, d, d, null, out, o);
    else out.fill(0, o, o + d);
    axpy(1, this.w.item_emb!, i * d, out, o, d);
  }

  /** The state before any event (h = 0, x = 0). */
  initialState(): State { return new Float32Array(this.dims.hidden + this.dims.dim); }

  /** Feeds one event: returns the new hidden state (the input state is not modified). */
  step(state: State, ev: StepEvent): State {
    const { dim: d, hidden: H } = this.dims, w = this.w, x = this.x;
    const known = ev.item > 0 && ev.item <= this.dims.numItems;
    if (known && !ev.attrs) x.set(this.itemReps().subarray(ev.item * d, ev.item * d + d));
    else this.itemRepInto(known ? ev.item : 0, x, 0, known ? undefined : ev.attrs ?? []);
    axpy(1, w.event_emb!, ev.kind * d, x, 0, d);
    axpy(1, w.gap_emb!, ev.gap * d, x, 0, d);
    if (state.length !== H + d) throw new RangeError(`state has ${state.length} values, the model's state size is ${H + d} (hidden + dim)`);
    const out = new Float32Array(H + d);
    gruForward(w, d, H, x, 0, state, 0, this.gx, this.gh, out, 0, null);
    out.set(x, H);
    return out;
  }

  /** The query vector q = h out_w + out_b + x (input skip). */
  query(state: State, out: Float32Array = this.q): Float32Array {
    const { hidden: H, dim: d } = this.dims;
    vecMat(state, 0, this.w.out_w!, H, d, this.w.out_b!, out, 0);
    axpy(1, state, H, out, 0, d);
    return out;
  }

  /** Next-item scores of the given item rows. */
  score(state: State, items: ArrayLike<number>): Float32Array {
    const q = this.query(state), reps = this.itemReps(), b = this.w.item_bias!, d = this.dims.dim;
    const out = new Float32Array(items.length);
    for (let k = 0; k < items.length; k++) { const i = items[k]!; out[k] = dot(q, 0, reps, i * d, d) + b[i]!; }
    return out;
  }

  /**
   * Scores against query `q` of items known only by their attributes (cold start; an empty list is the unknown
   * item). itemRep = item_emb[0] + mean(attr_emb[a])·attr_tr is linear, so q·itemRep + bias[0] = q·item_emb[0] +
   * bias[0] + mean(attr_emb[a]·(attr_tr·q)): one d×d product per call, then one dot product per attribute row,
   * rather than a d×d product per item. Rows outside 1..numAttrs are skipped.
   */
  coldScores(q: Float32Array, lists: readonly ArrayLike<number>[]): Float32Array {
    const d = this.dims.dim, T = this.w.attr_tr!, A = this.w.attr_emb!;
    const v = new Float32Array(d);
    for (let i = 0; i < d; i++) v[i] = dot(T, i * d, q, 0, d);
    const base = dot(q, 0, this.w.item_emb!, 0, d) + this.w.item_bias![0]!;
    return Float32Array.from(lists, (l) => {
      let s = 0, n = 0;
      for (let k = 0; k < l.length; k++) {
        const a = l[k]!;
        if (!isAttrRow(a, this.dims.numAttrs)) continue;
        s += dot(A, a * d, v, 0, d);
        n++;
      }
      return n > 0 ? base + s / n : base;
    });
  }

  /** The k best item rows (best first) over the whole catalog, skipping rows in `exclude`. */
  topK(state: State, k: number, exclude?: Iterable<number>): Array<{ item: number; score: number }> {
    const V = this.dims.numItems, d = this.dims.dim, q = this.query(state), reps = this.itemReps(), b = this.w.item_bias!;
    const skip = new Set(exclude ?? []);
    const best: Array<{ item: number; score: number }> = [];
    for (let i = 1; i <= V; i++) {
      if (skip.has(i)) continue;
      const s = dot(q, 0, reps, i * d, d) + b[i]!;
      if (best.length === k && s <= best[k - 1]!.score) continue;
      let p = best.length < k ? best.length : k - 1;
      if (best.length < k) best.push({ item: i, score: s });
      while (p > 0 && best[p - 1]!.score < s) { best[p] = best[p - 1]!; p--; }
      best[p] = { item: i, score: s };
    }
    return best;
  }

  /** P(purchase) from the state. */
  purchaseProbability(state: State): number {
    return sigmoid(dot(state, 0, this.w.intent_w!, 0, this.dims.hidden) + this.w.intent_b![0]!);
  }

  /** Category-intent distribution (softmax over numCategories). */
  categoryDistribution(state: State): Float32Array {
    const C = this.dims.numCategories, out = new Float32Array(C);
    vecMat(state, 0, this.w.cat_w!, this.dims.hidden, C, this.w.cat_b!, out, 0);
    let m = -Infinity, s = 0;
    for (let c = 0; c < C; c++) m = Math.max(m, out[c]!);
    for (let c = 0; c < C; c++) { out[c] = Math.exp(out[c]! - m); s += out[c]!; }
    for (let c = 0; c < C; c++) out[c] = out[c]! / s;
    return out;
  }
}

/** Per-step values the backward pass needs (r, z, n gates and h·Wh_n + bh_n), at offset `co` of each array. */
export interface GruCache { r: Float32Array; z: Float32Array; n: Float32Array; ghn: Float32Array; co: number }

/**
 * One GRU step (gate order r, z, n; PyTorch formulation): h = (1 − z) ⊙ n + z ⊙ hp.
 * x at x[xo..xo+d), previous state at hp[ho..ho+H), result at h[oo..oo+H). Fills `cache` when given.
 */
export function gruForward(w: Weights, d: number, H: number, x: Float32Array, xo: number, hp: Float32Array, ho: number,
  gx: Float32Array, gh: Float32Array, h: Float32Array, oo: number, cache: GruCache | null): void {
  vecMat(x, xo, w.gru_wx!, d, 3 * H, w.gru_bx!, gx, 0);
  vecMat(hp, ho, w.gru_wh!, H, 3 * H, w.gru_bh!, gh, 0);
  for (let j = 0; j < H; j++) {
    const r = sigmoid(gx[j]! + gh[j]!);
    const z = sigmoid(gx[H + j]! + gh[H + j]!);
    const ghn = gh[2 * H + j]!;
    const n = Math.tanh(gx[2 * H + j]! + r * ghn);
    h[oo + j] = (1 - z) * n + z * hp[ho + j]!;
    if (cache) { const c = cache.co + j; cache.r[c] = r; cache.z[c] = z; cache.n[c] = n; cache.ghn[c] = ghn; }
  }
}
