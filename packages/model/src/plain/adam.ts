import type { Weights } from '../spec.js';

/** Embedding tensors updated lazily (only rows touched by the batch): untouched rows keep their moments. */
export const SPARSE = new Set(['item_emb', 'item_bias', 'attr_emb']);

/** Which rows of the sparse tensors a batch touched. */
export interface Touched {
  itemRows: Int32Array;
  itemCount: number;
  attrStamp: Int32Array;
  stamp: number;
}

/**
 * Adam (Kingma & Ba 2015) with lazy row updates for the embeddings, L2 on the touched embedding rows and
 * global-norm gradient clipping. Gradients are zeroed after the update.
 */
export class Adam {
  private readonly m: Weights = {};
  private readonly v: Weights = {};
  private t = 0;
  constructor(private readonly w: Weights, private readonly dim: number, private readonly b1 = 0.9, private readonly b2 = 0.999, private readonly eps = 1e-8) {
    for (const [k, t] of Object.entries(w)) { this.m[k] = new Float32Array(t.length); this.v[k] = new Float32Array(t.length); }
  }

  /** Applies one update; returns the gradient norm before clipping (NaN if the gradient is not finite). */
  step(g: Weights, lr: number, touched: Touched, l2: number, clip: number): number {
    this.t++;
    const attrRows: number[] = [];
    for (let a = 0; a < touched.attrStamp.length; a++) if (touched.attrStamp[a] === touched.stamp) attrRows.push(a);
    const rowsOf = (name: string): { rows: ArrayLike<number>; n: number; width: number } | null => {
      if (name === 'item_emb') return { rows: touched.itemRows, n: touched.itemCount, width: this.dim };
      if (name === 'item_bias') return { rows: touched.itemRows, n: touched.itemCount, width: 1 };
      if (name === 'attr_emb') return { rows: attrRows, n: attrRows.length, width: this.dim };
      return null;
    };
    let sq = 0;
    for (const [name, gt] of Object.entries(g)) {
      const wt = this.w[name]!, sp = rowsOf(name), l2n = sp && sp.width > 1 ? l2 : 0;
      if (sp) { for (let r = 0; r < sp.n; r++) { const o = sp.rows[r]! * sp.width; sq += decaySquares(gt, wt, l2n, o, o + sp.width); } }
      else sq += decaySquares(gt, wt, l2n, 0, gt.length);
    }
    const norm = Math.sqrt(sq);
    if (!Number.isFinite(norm)) return norm;
    const scale = clip > 0 && norm > clip ? clip / norm : 1;
    const c1 = 1 - Math.pow(this.b1, this.t), c2 = 1 - Math.pow(this.b2, this.t);
    const { b1, b2, eps } = this;
    for (const [name, gt] of Object.entries(g)) {
      const wt = this.w[name]!, m = this.m[name]!, v = this.v[name]!, sp = rowsOf(name);
      if (sp) { for (let r = 0; r < sp.n; r++) { const o = sp.rows[r]! * sp.width; update(gt, wt, m, v, o, o + sp.width, scale, lr, b1, b2, c1, c2, eps); } }
      else update(gt, wt, m, v, 0, gt.length, scale, lr, b1, b2, c1, c2, eps);
    }
    return norm;
  }
}

/** Adds L2 (l2·w) to g over [o0, o1) and returns the sum of the squared results. */
function decaySquares(g: Float32Array, w: Float32Array, l2: number, o0: number, o1: number): number {
  let sq = 0;
  for (let o = o0; o < o1; o++) { const v = g[o]! + l2 * w[o]!; g[o] = v; sq += v * v; }
  return sq;
}

/** One Adam update of w over [o0, o1) from the gradient g scaled by `scale`; zeroes g there. */
function update(g: Float32Array, w: Float32Array, m: Float32Array, v: Float32Array, o0: number, o1: number, scale: number, lr: number,
  b1: number, b2: number, c1: number, c2: number, eps: number): void {
  for (let o = o0; o < o1; o++) {
    const gv = g[o]! * scale;
    const mo = (m[o] = b1 * m[o]! + (1 - b1) * gv);
    const vo = (v[o] = b2 * v[o]! + (1 - b2) * gv * gv);
    w[o] = w[o]! - (lr * (mo / c1)) / (Math.sqrt(vo / c2) + eps);
    g[o] = 0;
  }
}
