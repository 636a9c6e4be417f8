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
      const visit = (o: number): void => { const v = gt[o]! + l2n * wt[o]!; gt[o] = v; sq += v * v; };
      if (sp) { for (let r = 0; r < sp.n; r++) for (let k = 0, o = sp.rows[r]! * sp.width; k < sp.width; k++) visit(o + k); }
      else for (let o = 0; o < gt.length; o++) visit(o);
    }
    const norm = Math.sqrt(sq);
    if (!Number.isFinite(norm)) return norm;
    const scale = clip > 0 && norm > clip ? clip / norm : 1;
    const c1 = 1 - Math.pow(this.b1, this.t), c2 = 1 - Math.pow(this.b2, this.t);
    const { b1, b2, eps } = this;
    for (const [name, gt] of Object.entries(g)) {
      const wt = this.w[name]!, m = this.m[name]!, v = this.v[name]!, sp = rowsOf(name);
      const upd = (o: number): void => {
        const gv = gt[o]! * scale;
        const mo = (m[o] = b1 * m[o]! + (1 - b1) * gv);
        const vo = (v[o] = b2 * v[o]! + (1 - b2) * gv * gv);
        wt[o] = wt[o]! - (lr * (mo / c1)) / (Math.sqrt(vo / c2) + eps);
        gt[o] = 0;
      };
      if (sp) { for (let r = 0; r < sp.n; r++) for (let k = 0, o = sp.rows[r]! * sp.width; k < sp.width; k++) upd(o + k); }
      else for (let o = 0; o < gt.length; o++) upd(o);
    }
    return norm;
  }
}
