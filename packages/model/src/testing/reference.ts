/**
 * A deliberately naive Float32Array implementation of the spec.ts formulas, written from the formulas alone,
 * used as the reference the tfjs model is checked against (and as a floor in the benchmark until the
 * trainer's `plain/` kernels exist). Not optimised; not exported from the package index.
 */
import { Rng } from '../rng.js';
import { weightShapes, type ModelDims, type Weights } from '../spec.js';
import type { ItemAttributes, ModelEvent } from '../tfjs/types.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));

function w(weights: Weights, name: string): Float32Array {
  const t = weights[name];
  if (!t) throw new Error(`missing ${name}`);
  return t;
}

/** itemRep(i) = item_emb[i] + (mean attr_emb[attrs])·attr_tr. */
export function refItemRep(dims: ModelDims, weights: Weights, row: number, attrs: readonly number[]): Float64Array {
  const d = dims.dim;
  const out = new Float64Array(d);
  const ie = w(weights, 'item_emb');
  const ae = w(weights, 'attr_emb');
  const tr = w(weights, 'attr_tr');
  const mean = new Float64Array(d);
  for (const a of attrs) for (let j = 0; j < d; j++) mean[j]! += (ae[a * d + j] as number) / attrs.length;
  for (let k = 0; k < d; k++) {
    let s = ie[row * d + k] as number;
    for (let j = 0; j < d; j++) s += (mean[j] as number) * (tr[j * d + k] as number);
    out[k] = s;
  }
  return out;
}

/** One GRU step from the formulas: state [h | x] (hidden + dim values) in, the next [h' | x_t] out. */
export function refStep(dims: ModelDims, weights: Weights, itemAttrs: ItemAttributes, h: Float64Array, e: ModelEvent): Float64Array {
  const { dim: d, hidden: H, numItems } = dims;
  const known = e.item > 0 && e.item <= numItems;
  const rep = refItemRep(dims, weights, known ? e.item : 0, known ? (itemAttrs[e.item] ?? []) : (e.attrs ?? []));
  const x = new Float64Array(d);
  for (let j = 0; j < d; j++) x[j] = (rep[j] as number) + (w(weights, 'event_emb')[e.kind * d + j] as number) + (w(weights, 'gap_emb')[e.gap * d + j] as number);
  const wx = w(weights, 'gru_wx'), wh = w(weights, 'gru_wh'), bx = w(weights, 'gru_bx'), bh = w(weights, 'gru_bh');
  const gx = new Float64Array(3 * H), gh = new Float64Array(3 * H);
  for (let k = 0; k < 3 * H; k++) {
    let sx = bx[k] as number, sh = bh[k] as number;
    for (let j = 0; j < d; j++) sx += (x[j] as number) * (wx[j * 3 * H + k] as number);
    for (let j = 0; j < H; j++) sh += (h[j] as number) * (wh[j * 3 * H + k] as number);
    gx[k] = sx;
    gh[k] = sh;
  }
  const out = new Float64Array(H + d);
  out.set(x, H);
  for (let k = 0; k < H; k++) {
    const r = sig((gx[k] as number) + (gh[k] as number));
    const z = sig((gx[H + k] as number) + (gh[H + k] as number));
    const n = Math.tanh((gx[2 * H + k] as number) + r * (gh[2 * H + k] as number));
    out[k] = (1 - z) * n + z * (h[k] as number);
  }
  return out;
}

/** Scores of item rows for state [h | x] (cold items: pass row 0 with their attrs); q = h out_w + out_b + x. */
export function refScores(dims: ModelDims, weights: Weights, h: Float64Array | Float32Array, items: readonly { row: number; attrs: readonly number[] }[]): Float64Array {
  const { dim: d, hidden: H } = dims;
  const ow = w(weights, 'out_w'), ob = w(weights, 'out_b'), bias = w(weights, 'item_bias');
  const q = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = (ob[j] as number) + (h[H + j] as number);
    for (let k = 0; k < H; k++) s += (h[k] as number) * (ow[k * d + j] as number);
    q[j] = s;
  }
  return Float64Array.from(items, ({ row, attrs }) => {
    const rep = refItemRep(dims, weights, row, attrs);
    let s = bias[row] as number;
    for (let j = 0; j < d; j++) s += (q[j] as number) * (rep[j] as number);
    return s;
  });
}

/** Deterministic random weights of the spec shapes (uniform ±scale, the package's seeded generator). */
export function randomWeights(dims: ModelDims, seed = 1, scale = 0.3): Weights {
  const r = new Rng(seed);
  const rnd = (): number => r.next();
  const out: Weights = {};
  for (const [name, shape] of Object.entries(weightShapes(dims))) {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    for (let i = 0; i < a.length; i++) a[i] = (rnd() * 2 - 1) * scale;
    out[name] = a;
  }
  return out;
}

/** Deterministic random attribute lists (0..maxPer attributes per item; row 0 empty). */
export function randomItemAttrs(dims: ModelDims, seed = 2, maxPer = 4): number[][] {
  const r = new Rng(seed);
  const next = (): number => r.next();
  const out: number[][] = [[]];
  for (let i = 1; i <= dims.numItems; i++) {
    const n = Math.floor(next() * (maxPer + 1));
    out.push(Array.from({ length: n }, () => 1 + Math.floor(next() * dims.numAttrs)));
  }
  return out;
}
