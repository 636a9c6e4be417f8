/**
 * Where an upload's dense deltas point, as subspaces of the model's embedding space (d = dim). With one SGD step
 * the delta is the clipped gradient, and three of its tensors are sums of outer products with public vectors:
 *
 *   Δgru_wx = −Σ_t x_t ⊗ ∂gx_t       x_t = (itemRep(i_t) + event + gap) ⊙ dropout mask: the inputs
 *   Δout_w  = −Σ_t h_t ⊗ ∂q_t        ∂q_t = (E_softmax[itemRep] − itemRep(target_t)) / P: the targets
 *   Δattr_tr = −Σ_t (E[a] − a(target_t)) ⊗ q_t − Σ_t a(i_t) ⊗ ∂x_t    a(i) = mean attribute embedding of item i
 *
 * so the column space of Δgru_wx is spanned by the device's inputs, the row space of Δout_w by its targets (and
 * expected representations), and the column space of Δattr_tr by the attribute means of both. Each `Space`
 * holds the eigen-decomposition of that side's Gram matrix (its singular directions), every candidate's
 * coordinates in it, and the largest eigenvalue that noise alone would give there (the Marchenko–Pastur edge
 * σ²(√n + √m)² of an n × m matrix of i.i.d. noise of variance σ²): directions above it carry signal.
 */
import { coordinates, gram, symEig, type Coordinates, type Eigen } from './linalg.js';
import type { Knowledge } from './knowledge.js';
import type { Observation } from './observe.js';

export interface Space {
  eig: Eigen;
  /** The candidates (item rows 0..numItems) in the eigenbasis. */
  coords: Coordinates;
  /** Noise variance per value of the tensor, and the sizes of this side (n) and of the other side (m). */
  noiseVar: number;
  n: number;
  m: number;
}

/** How many singular directions a scorer keeps: those above `margin` × the noise edge, at most the positions the header shows (when `header`). */
export interface RankRule { margin: number; header: boolean }

export interface Analysis {
  /** Column space of Δgru_wx; candidates itemRep + input offset. */
  inputs: Space;
  /** Row space of Δout_w; candidates itemRep. */
  targets: Space;
  /** Column space of Δattr_tr; candidates the items' mean attribute embeddings. */
  attributes: Space;
  /** The attribute embeddings in the same basis as `attributes`. */
  attrEmb: Coordinates;
  /** Per item: ⟨Δout_b, itemRep − mean⟩ / (‖itemRep − mean‖·σ): Δout_b ∝ Σ_t (itemRep(target_t) − E[itemRep]). */
  bias: Float64Array;
  /** Positions shown by the header (noiseless uploads only), or null. */
  positions: number | null;
}

function space(obs: Observation, name: string, rows: number, cols: number, side: 'left' | 'right', cand: Float32Array, candRows: number): Space {
  const n = side === 'left' ? rows : cols, m = side === 'left' ? cols : rows;
  const eig = symEig(gram(obs.tensor(name), rows, cols, side), n);
  return { eig, coords: coordinates(cand, candRows, n, eig), noiseVar: obs.noiseVar(name), n, m };
}

/** Everything the scorers read from one upload. */
export function analyse(obs: Observation, k: Knowledge): Analysis {
  const { dim: d, hidden: H, numItems: V, numAttrs: A } = k.model.dims;
  const attributes = space(obs, 'attr_tr', d, d, 'left', k.attrMeans, V + 1);
  const ob = obs.tensor('out_b'), sd = Math.sqrt(obs.noiseVar('out_b')) || 1, bias = new Float64Array(V + 1);
  for (let i = 1; i <= V; i++) {
    let s = 0, n2 = 0;
    for (let j = 0; j < d; j++) { const c = k.centred[i * d + j]!; s += ob[j]! * c; n2 += c * c; }
    bias[i] = n2 > 0 ? s / (Math.sqrt(n2) * sd) : 0;
  }
  return {
    inputs: space(obs, 'gru_wx', d, 3 * H, 'left', k.inputs, V + 1),
    targets: space(obs, 'out_w', H, d, 'right', k.reps, V + 1),
    attributes,
    attrEmb: coordinates(k.attrEmb, A + 1, d, attributes.eig),
    bias,
    positions: obs.positions,
  };
}

/** The number of directions of `s` a scorer keeps under `rule` (`bounded`: the space's rank is at most the positions). */
export function rankOf(s: Space, rule: RankRule, positions: number | null, bounded: boolean): number {
  const edge = rule.margin * s.noiseVar * (Math.sqrt(s.n) + Math.sqrt(s.m)) ** 2;
  let r = 0;
  while (r < s.n && s.eig.values[r]! > edge) r++;
  return rule.header && bounded && positions !== null ? Math.min(r, positions) : r;
}

/** Squared cosine between each candidate and the span of the first `r` directions (0 for a zero candidate). */
export function cos2(c: Coordinates, r: number): Float64Array {
  const out = new Float64Array(c.rows);
  for (let i = 0; i < c.rows; i++) {
    let s = 0;
    for (let j = 0; j < r; j++) s += c.coef[i * c.n + j]! ** 2;
    out[i] = c.norm2[i]! > 0 ? s / c.norm2[i]! : 0;
  }
  return out;
}

/**
 * Energy of the tensor along each candidate's direction, v̂ᵀ·G·v̂, minus what noise alone gives (m·σ²), in units
 * of the noise's standard deviation (σ²·√(2m)): a score that needs no rank, for uploads whose signal sits below
 * the noise edge.
 */
export function energy(s: Space): Float64Array {
  const c = s.coords, out = new Float64Array(c.rows), sd = s.noiseVar * Math.sqrt(2 * s.m) || 1;
  for (let i = 0; i < c.rows; i++) {
    let e = 0;
    for (let j = 0; j < c.n; j++) e += s.eig.values[j]! * c.coef[i * c.n + j]! ** 2;
    out[i] = c.norm2[i]! > 0 ? (e / c.norm2[i]! - s.m * s.noiseVar) / sd : 0;
  }
  return out;
}
