import type { Sequence } from '../data/types.js';
import { EVENT_KINDS, type Weights } from '../spec.js';
import { axpy, dot, sigmoid, vecMat, vecMatBack } from './kernels.js';
import type { GruCache, PlainModel } from './model.js';
import { Rng } from '../rng.js';
import { createSimdKernels } from './simd/index.js';

/** Loss settings of one training step. */
export interface LossConfig {
  /** Negatives sampled per batch and shared by all its positions; ≥ numItems means full softmax. */
  negatives: number;
  /** Negatives are drawn ∝ (count + 1)^negAlpha (0 = uniform, 1 = popularity); logQ-corrected either way. */
  negAlpha: number;
  dropoutIn: number;
  dropoutOut: number;
  /** Weight of the purchase-intent loss (only for datasets with typed events). */
  intentWeight: number;
  /** Weight of the category-intent loss (only for items with a known category). */
  categoryWeight: number;
  /** Only the last maxLen events of a sequence are used. */
  maxLen: number;
  /**
   * Stand-ins for the in-batch targets of a trainer batch of this many positions (default 0): extra
   * candidates drawn from the items' empirical popularity in `counts`, with Good–Turing's estimate of the
   * unseen mass (items seen once / all occurrences) spread over the items `counts` never saw; the logQ
   * correction counts them as batch targets, (P + virtualBatch)·count/total. For batches of ONE sequence
   * (federated devices): without them a device's loss lacks the other shoppers' targets that the trainer's
   * batches hold as negatives, and its gradients pull the model off the trainer's optimum
   * (docs/experiments/2026-12-02-federated-virtual-batch.md).
   */
  virtualBatch?: number;
}

const PURCHASE = EVENT_KINDS.indexOf('purchase');

/** Items of `counts` (rows 1..numItems) seen exactly once, never seen, and all occurrences. */
function tally(counts: ArrayLike<number>, numItems: number): { n1: number; unseen: number; tot: number } {
  let n1 = 0, unseen = 0, tot = 0;
  for (let i = 1; i <= numItems; i++) { const c = counts[i]!; tot += c; if (c === 1) n1++; if (!(c > 0)) unseen++; }
  return { n1, unseen, tot };
}

/** Good–Turing m₀ from a tally: items seen once / all occurrences (0 when nothing was counted or every item was seen). */
const massOf = ({ n1, unseen, tot }: ReturnType<typeof tally>): number => (tot > 0 && unseen > 0 ? Math.min(1, n1 / tot) : 0);

/**
 * Good–Turing estimate of the probability that the next occurrence is an item `counts` never saw: items seen
 * exactly once / all occurrences (0 when nothing was counted or every item was seen).
 */
export function unseenMass(counts: ArrayLike<number>, numItems: number): number {
  return massOf(tally(counts, numItems));
}

/**
 * Where virtual batch targets are drawn from (index = item row, row 0 unused): the empirical popularity of
 * `counts`, scaled by 1 − m₀, and Good–Turing's unseen mass m₀ spread evenly over the items `counts` never saw.
 * Other shoppers' next items include items the model's training data never held; how close m₀ comes to their
 * real share on Beauty: docs/experiments/2026-12-02-federated-virtual-batch.md. All zeros when nothing was counted.
 */
export function virtualBatchProbabilities(counts: ArrayLike<number>, numItems: number): Float64Array {
  const p = new Float64Array(numItems + 1);
  const t = tally(counts, numItems);
  if (!(t.tot > 0)) return p;
  const m0 = massOf(t);
  for (let i = 1; i <= numItems; i++) p[i] = counts[i]! > 0 ? ((1 - m0) * counts[i]!) / t.tot : m0 / t.unseen;
  return p;
}

/** Grows a Float32Array buffer to at least n elements (no shrinking, so steady state allocates nothing). */
const grow = (a: Float32Array<ArrayBuffer>, n: number): Float32Array<ArrayBuffer> => (a.length >= n ? a : new Float32Array(Math.ceil(n * 1.5)));
/** Grows an Int32Array keeping its contents (used for lists filled incrementally). */
const growI = (a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> => {
  if (a.length >= n) return a;
  const b = new Int32Array(Math.ceil(n * 1.5) + 16);
  b.set(a);
  return b;
};

/**
 * What every thread computing part of one trainer batch must share so that the parts add up to the batch's
 * gradient whatever the number of threads: the candidate list (the whole batch's targets in position order, then
 * the sampled negatives), the whole batch's position count (the loss is a mean over it and the logQ correction
 * counts it) and one dropout seed per sequence. Drawn by `planBatch` from the trainer's one generator.
 */
export interface BatchPlan {
  candidates: Int32Array;
  positions: number;
  /** Dropout seed of each sequence of the batch, in batch order (a part passes the slice of its sequences). */
  seeds: Uint32Array;
}

/**
 * The three dense products a step is made of (row-major Float32Arrays; names after their first use):
 * `logits`: S = Q·Rcᵀ + bc (P × d times Cn × d), `gradQ`: dQ = G·Rc (P × Cn times Cn × d), `gradCandidates`:
 * dRc = Gᵀ·Q (P × Cn and P × d), and the softmax pass between them. Two implementations: `JS_KERNELS` (below,
 * summing partly in float64) and the WebAssembly SIMD ones of ./simd (float32 sums in a fixed order, bit-identical
 * on every engine), several times faster; `defaultKernels()` picks SIMD wherever WebAssembly has it.
 */
export interface DenseKernels {
  logits(Q: Float32Array, Rc: Float32Array, bc: Float32Array, S: Float32Array, P: number, Cn: number, d: number): void;
  gradQ(G: Float32Array, Rc: Float32Array, dQ: Float32Array, P: number, Cn: number, d: number): void;
  gradCandidates(G: Float32Array, Q: Float32Array, dRc: Float32Array, P: number, Cn: number, d: number): void;
  /**
   * The sampled softmax's gradient in place: row q of S (P × Cn logits) becomes (softmax(S[q]) − onehot(tgt[q]))·invP;
   * returns Σ_q cross-entropy; adds every column's sum of the new S into colSums when given.
   */
  softmaxGrad(S: Float32Array, tgt: Int32Array, P: number, Cn: number, invP: number, colSums: Float32Array | null): number;
}

let fastest: DenseKernels | undefined;
/** The kernels steps use by default: WebAssembly SIMD where the engine has it, else JS_KERNELS (one per thread). */
export function defaultKernels(): DenseKernels { return (fastest ??= createSimdKernels() ?? JS_KERNELS); }

/** Negatives drawn ∝ (count + 1)^alpha over items 1..numItems, and their probabilities (for the logQ correction). */
export class NegativeSampler {
  readonly q: Float64Array;
  private readonly cdf: Float64Array;
  constructor(counts: ArrayLike<number>, readonly numItems: number, alpha: number) {
    this.q = new Float64Array(numItems + 1); this.cdf = new Float64Array(numItems + 1);
    let z = 0, acc = 0;
    for (let i = 1; i <= numItems; i++) { this.q[i] = Math.pow(counts[i]! + 1, alpha); z += this.q[i]!; }
    for (let i = 1; i <= numItems; i++) { this.q[i] = this.q[i]! / z; acc += this.q[i]!; this.cdf[i] = acc; }
  }

  draw(rng: Rng): number { return drawFrom(this.cdf, this.numItems, rng); }
}

/** Inverse-CDF draw over rows 1..n of a cumulative array. */
function drawFrom(cdf: Float64Array, n: number, rng: Rng): number {
  const u = rng.next() * cdf[n]!;
  let lo = 1, hi = n;
  while (lo < hi) { const m = (lo + hi) >> 1; if (cdf[m]! < u) lo = m + 1; else hi = m; }
  return lo;
}

/** The positions (predicted events) a sequence gives a batch: its last maxLen events but the first. */
export const positionsOf = (s: Sequence, maxLen: number): number => Math.max(0, Math.min(s.items.length, maxLen) - 1);

/** Draws a batch's shared plan (see BatchPlan) from `rng`: per-sequence seeds first, then the negatives. */
export function planBatch(seqs: readonly Sequence[], cfg: LossConfig, sampler: NegativeSampler, rng: Rng): BatchPlan {
  const seeds = new Uint32Array(seqs.length);
  for (let i = 0; i < seqs.length; i++) seeds[i] = rng.nextU32();
  let P = 0;
  for (const s of seqs) P += positionsOf(s, cfg.maxLen);
  const full = cfg.negatives >= sampler.numItems;
  const candidates = new Int32Array(full ? 0 : P + cfg.negatives);
  let k = 0;
  for (const s of seqs) {
    const n = Math.min(s.items.length, cfg.maxLen), off = s.items.length - n;
    for (let t = 1; !full && t < n; t++) candidates[k++] = s.items[off + t]!;
  }
  for (let j = 0; !full && j < cfg.negatives; j++) candidates[k++] = sampler.draw(rng);
  return { candidates, positions: P, seeds };
}

/**
 * Forward + backward (BPTT) of a batch of sequences under sampled softmax cross-entropy with logQ correction
 * (in-batch targets plus shared sampled negatives; Jean et al. 2015, Yi et al. 2019), plus optional
 * purchase-intent (BCE: will this sequence contain a purchase after this event?) and category-intent (CE on the
 * next item's category) losses. Gradients are accumulated into `grads`; touched embedding rows are reported so
 * the optimiser can update them sparsely.
 */
export class BatchStep {
  private readonly V: number; private readonly d: number; private readonly H: number; private readonly C: number;
  private readonly sampler: NegativeSampler;
  private readonly cdfBatch: Float64Array;
  private readonly qSample: Float64Array;
  private readonly qBatch: Float64Array;
  private readonly localOf: Int32Array; private readonly localStamp: Int32Array;
  private readonly candOf: Int32Array; private readonly candStamp: Int32Array;
  private stamp = 0;
  // per-position buffers
  private X = new Float32Array(0); private MX = new Float32Array(0); private Hs = new Float32Array(0); private HD = new Float32Array(0);
  private MH = new Float32Array(0); private Q = new Float32Array(0); private dQ = new Float32Array(0);
  private GX = new Float32Array(0); private DGX = new Float32Array(0); private DGH = new Float32Array(0);
  private DHD = new Float32Array(0); private DX = new Float32Array(0); private HP = new Float32Array(0);
  private tmp = new Float32Array(0); private zeros = new Float32Array(0);
  // per-sequence buffers of one time step (the recurrence runs a step of every sequence at once)
  private act = new Int32Array(0); private actSeq = new Int32Array(0); private HB = new Float32Array(0);
  private GHB = new Float32Array(0); private DB = new Float32Array(0); private DHB = new Float32Array(0); private dhSeq = new Float32Array(0);
  private cache: GruCache = { r: new Float32Array(0), z: new Float32Array(0), n: new Float32Array(0), ghn: new Float32Array(0), co: 0 };
  private inLocal = new Int32Array(0); private tgtCol = new Int32Array(0); private tgtItem = new Int32Array(0);
  private kindAt = new Int32Array(0); private gapAt = new Int32Array(0); private buyLater = new Int32Array(0);
  // per-row / per-candidate buffers
  /** Item rows touched by the last batch (valid up to touchedCount). */
  rows = new Int32Array(0);
  touchedCount = 0;
  private RL = new Float32Array(0); private dRL = new Float32Array(0); private AL = new Float32Array(0); private attrN = new Int32Array(0);
  private Q2 = new Float32Array(0); private dQ2 = new Float32Array(0); private dA = new Float32Array(0); private Ac = new Float32Array(0);
  private candLocal = new Int32Array(0); private Rc = new Float32Array(0); private dRc = new Float32Array(0);
  private bc = new Float32Array(0); private S = new Float32Array(0); private gcol = new Float32Array(0);
  private readonly dh: Float32Array;
  private readonly catLogits: Float32Array; private readonly dSkip: Float32Array;
  /** Attribute rows touched by the last batch (marked with attrStamp === stamp). */
  readonly attrStamp: Int32Array;

  constructor(private readonly model: PlainModel, private readonly grads: Weights, private readonly cfg: LossConfig,
    private readonly rng: Rng, counts: Float64Array, private readonly itemCategory: Int32Array | null, private readonly typed: boolean) {
    const { numItems: V, dim: d, hidden: H, numCategories: C, numAttrs } = model.dims;
    this.V = V; this.d = d; this.H = H; this.C = C;
    this.sampler = new NegativeSampler(counts, V, cfg.negAlpha);
    this.qSample = this.sampler.q; this.qBatch = new Float64Array(V + 1); this.cdfBatch = new Float64Array(V + 1);
    let tot = 0;
    for (let i = 1; i <= V; i++) tot += counts[i]!;
    for (let i = 1; i <= V; i++) this.qBatch[i] = counts[i]! / Math.max(1, tot);
    const pv = virtualBatchProbabilities(counts, V);
    for (let i = 1; i <= V; i++) this.cdfBatch[i] = this.cdfBatch[i - 1]! + pv[i]!;
    this.localOf = new Int32Array(V + 1); this.localStamp = new Int32Array(V + 1);
    this.candOf = new Int32Array(V + 1); this.candStamp = new Int32Array(V + 1);
    this.attrStamp = new Int32Array(numAttrs + 1);
    this.dh = new Float32Array(H);
    this.catLogits = new Float32Array(C); this.dSkip = new Float32Array(d);
  }

  /**
   * When true, no gradient is computed for item/attribute embedding rows or item_bias (they are frozen, as in
   * federated local training): the candidates' gradient G^T·Q and the row scatter are skipped, about a third
   * of a step's work. The dense gradients are those of a full step (up to float rounding: see below).
   *
   * It also switches how the attribute transform T (`attr_tr`) enters the candidates' scores. A full step
   * builds every candidate's itemRep E + a·T (Cn·d² multiply-adds) and scores Q·Rcᵀ. A frozen step scores
   * [Q | Q·Tᵀ]·[E | a]ᵀ instead (2·P·Cn·d) and takes T's gradient as (G·A)ᵀ·Q (P·d²), which is cheaper
   * whenever the positions P are fewer than d: a device's one sequence against thousands of candidates. (The
   * centralised dense-only baseline's frozen batches of 256 positions use it too, where it is the dearer form
   * by about a tenth of a step, counting multiply-adds (not measured); not worth a third code path.)
   */
  frozenRows = false;

  /**
   * The item representations of the current weights (`PlainModel.itemReps()` layout), or null; read by frozen
   * steps only. With them a frozen step scores candidates as Q·repsᵀ and takes T's gradient as (G·A)ᵀ·Q, P·Cn·d
   * multiply-adds fewer than the split form. The caller guarantees they match item_emb, attr_emb and attr_tr
   * (`LocalTrainer`: the first pass of a call, whose weights are the round's base).
   */
  reps: Float32Array | null = null;
  /**
   * Every item row's mean attribute embedding ((numItems + 1) × d, `PlainModel.attrMeanInto` for each row), or
   * null; read by frozen steps only, whose attribute embeddings do not change. The caller guarantees they match.
   */
  attrMeans: Float32Array | null = null;

  /** The dense products' implementation (see DenseKernels); JS_KERNELS is the slower reference. */
  kernels: DenseKernels = defaultKernels();

  get currentStamp(): number { return this.stamp; }

  /** grads[name] += the (rows × cols) product `product` writes into the scratch buffer. */
  private addProduct(name: string, rows: number, cols: number, product: (out: Float32Array) => void): void {
    this.tmp = grow(this.tmp, rows * cols);
    product(this.tmp);
    const dst = this.grads[name]!, t = this.tmp;
    for (let o = 0; o < rows * cols; o++) dst[o] = dst[o]! + t[o]!;
  }

  /** A zero vector of at least n values (bias of a product that has none). */
  private zerosOf(n: number): Float32Array { return (this.zeros = grow(this.zeros, n)); }


  private addRow(i: number): number {
    if (this.localStamp[i] !== this.stamp) {
      this.localStamp[i] = this.stamp;
      this.rows = growI(this.rows, this.touchedCount + 1);
      this.localOf[i] = this.touchedCount;
      this.rows[this.touchedCount++] = i;
    }
    return this.localOf[i]!;
  }

  private candCount = 0;
  private addCand(i: number): number {
    if (this.candStamp[i] !== this.stamp) {
      this.candStamp[i] = this.stamp;
      this.candLocal = growI(this.candLocal, this.candCount + 1);
      this.candOf[i] = this.candCount;
      this.candLocal[this.candCount++] = this.addRow(i);
    }
    return this.candOf[i]!;
  }

  /**
   * Runs forward and backward on `seqs`, accumulating gradients; returns { loss, positions }: the loss summed
   * over `seqs`' positions divided by the batch's positions (so the parts of a batch add up to its mean), and
   * `seqs`' positions. Without a plan `seqs` is the whole batch and the step draws its own negatives and dropout
   * from its generator (a device's step); with one, `seqs` is part of the batch the plan was drawn for
   * (`plan.seeds` holds its sequences' seeds) and every part scores the same candidates in the same order.
   */
  run(seqs: Sequence[], plan?: BatchPlan): { loss: number; positions: number } {
    const { d, H, cfg, model } = this;
    const w = model.w, g = this.grads;
    this.stamp++; this.touchedCount = 0; this.candCount = 0;
    // 1. positions, local rows, candidates
    let P = 0;
    for (const s of seqs) P += positionsOf(s, cfg.maxLen);
    this.ensurePositions(P);
    const starts: number[] = [], seedAt: number[] = [];
    let p = 0;
    for (let si = 0; si < seqs.length; si++) {
      const s = seqs[si]!, n = Math.min(s.items.length, cfg.maxLen), off = s.items.length - n;
      if (n < 2) continue;
      starts.push(p); seedAt.push(plan ? plan.seeds[si]! : 0);
      let bought = 0;
      for (let t = n - 1; t >= 1; t--) {
        // buyLater for input position t-1: a purchase at any later event t..n-1
        if (s.kinds[off + t] === PURCHASE) bought = 1;
        this.buyLater[p + t - 1] = bought;
      }
      for (let t = 0; t < n - 1; t++, p++) {
        this.inLocal[p] = this.addRow(s.items[off + t]!);
        this.kindAt[p] = s.kinds[off + t]!;
        this.gapAt[p] = s.gaps[off + t]!;
        this.tgtItem[p] = s.items[off + t + 1]!;
      }
    }
    starts.push(P);
    const full = cfg.negatives >= this.V;
    if (full) for (let i = 1; i <= this.V; i++) this.addCand(i);
    else if (plan) for (const i of plan.candidates) this.addCand(i);
    for (let q = 0; q < P; q++) this.tgtCol[q] = this.addCand(this.tgtItem[q]!);
    if (!full && !plan) for (let k = 0; k < cfg.negatives; k++) this.addCand(this.sampler.draw(this.rng));
    const vb = !full && this.cdfBatch[this.V]! > 0 ? cfg.virtualBatch ?? 0 : 0;
    for (let k = 0; k < vb; k++) this.addCand(drawFrom(this.cdfBatch, this.V, this.rng));
    const Pb = plan ? plan.positions : P; // the batch's positions: the loss's denominator and the logQ count
    const U = this.touchedCount, Cn = this.candCount;
    // split: score candidates as [Q | Q·Tᵀ]·[E | a]ᵀ (width 2d), see `frozenRows`; cached: as Q·repsᵀ, see `reps`
    const cached = this.frozenRows ? this.reps : null, split = this.frozenRows && !cached, wc = split ? 2 * d : d;
    this.RL = grow(this.RL, U * d); this.dRL = grow(this.dRL, U * d); this.AL = grow(this.AL, U * d);
    if (this.attrN.length < U) this.attrN = new Int32Array(Math.ceil(U * 1.5));
    this.Rc = grow(this.Rc, Cn * wc); this.dRc = grow(this.dRc, Cn * d); this.bc = grow(this.bc, Cn);
    if (cached) this.Ac = grow(this.Ac, Cn * d);
    this.S = grow(this.S, P * Cn);
    const { RL, dRL, AL, attrN, Rc, dRc, bc, S } = this;
    const T = w.attr_tr!, E = w.item_emb!;
    const means = this.frozenRows ? this.attrMeans : null, { attrOffsets: ao } = model.attrs;
    for (let u = 0; u < U; u++) {
      const i = this.rows[u]!;
      if (means) { attrN[u] = (ao[i + 1] ?? 0) - (ao[i] ?? 0); AL.set(means.subarray(i * d, i * d + d), u * d); continue; }
      attrN[u] = model.attrMeanInto(i, AL, u * d); // zeros for an item without attributes
    }
    if (!this.frozenRows) {
      // every row's itemRep = item_emb + mean·T, as one product (frozen: only the inputs', below)
      this.kernels.gradQ(AL, T, RL, U, d, d);
      for (let u = 0; u < U; u++) axpy(1, E, this.rows[u]! * d, RL, u * d, d);
    }
    for (let q = 0; this.frozenRows && q < P; q++) {
      const u = this.inLocal[q]!;
      if (cached) RL.set(cached.subarray(this.rows[u]! * d, this.rows[u]! * d + d), u * d);
      else model.repFromMean(this.rows[u]!, AL, u * d, attrN[u]!, RL, u * d);
    }
    dRL.fill(0, 0, U * d);
    const bias = w.item_bias!;
    for (let c = 0; c < Cn; c++) {
      const u = this.candLocal[c]!, i = this.rows[u]!;
      if (split) { Rc.set(E.subarray(i * d, i * d + d), c * wc); Rc.set(AL.subarray(u * d, u * d + d), c * wc + d); }
      else if (cached) { Rc.set(cached.subarray(i * d, i * d + d), c * d); this.Ac.set(AL.subarray(u * d, u * d + d), c * d); }
      else Rc.set(RL.subarray(u * d, u * d + d), c * d);
      bc[c] = bias[i]! - (full ? 0 : Math.log(cfg.negatives * this.qSample[i]! + (Pb + vb) * this.qBatch[i]!));
    }
    // 2. GRU forward with dropout on inputs and on the state fed to the heads. The input and output layers are
    // one product over all positions; only the recurrent part (h·W_h) runs position by position.
    const { X, MX, Hs, HD, MH, Q, GX, HP, cache } = this;
    const kin = 1 / (1 - cfg.dropoutIn), kout = 1 / (1 - cfg.dropoutOut), H3 = 3 * H;
    for (let si = 0; si + 1 < starts.length; si++) {
      const dr = plan ? new Rng(seedAt[si]!) : this.rng; // a planned sequence's masks do not depend on its batch-mates
      for (let q = starts[si]!; q < starts[si + 1]!; q++) {
        const xo = q * d;
        for (let k = 0; k < d; k++) {
          const m = cfg.dropoutIn > 0 && dr.next() < cfg.dropoutIn ? 0 : kin;
          MX[xo + k] = m;
          X[xo + k] = (RL[this.inLocal[q]! * d + k]! + w.event_emb![this.kindAt[q]! * d + k]! + w.gap_emb![this.gapAt[q]! * d + k]!) * m;
        }
        for (let k = 0; k < H; k++) MH[q * H + k] = cfg.dropoutOut > 0 && dr.next() < cfg.dropoutOut ? 0 : kout;
      }
    }
    this.kernels.gradQ(X, w.gru_wx!, GX, P, d, H3); // GX = X·W_x
    // the recurrence, one time step of every sequence at a time: h_prev·W_h is one product over the step's sequences
    const nSeq = starts.length - 1;
    let maxT = 0;
    for (let si = 0; si < nSeq; si++) maxT = Math.max(maxT, starts[si + 1]! - starts[si]!);
    this.growSteps(nSeq);
    const { act, actSeq, HB, GHB, DB, DHB, dhSeq } = this;
    for (let t = 0; t < maxT; t++) {
      let B = 0;
      for (let si = 0; si < nSeq; si++) {
        const q = starts[si]! + t;
        if (q >= starts[si + 1]!) continue;
        if (t === 0) HP.fill(0, q * H, q * H + H); else HP.set(Hs.subarray((q - 1) * H, q * H), q * H);
        HB.set(HP.subarray(q * H, q * H + H), B * H);
        act[B++] = q;
      }
      this.kernels.gradQ(HB, w.gru_wh!, GHB, B, H, H3);
      for (let b = 0; b < B; b++) {
        const q = act[b]!;
        cache.co = q * H;
        gruGates(w, H, GX, q * H3, GHB, b * H3, HP, q * H, Hs, q * H, cache);
        for (let k = 0; k < H; k++) HD[q * H + k] = Hs[q * H + k]! * MH[q * H + k]!;
      }
    }
    this.kernels.gradQ(HD, w.out_w!, Q, P, H, d); // Q = HD·out_w, then + out_b + x (the input skip, spec v2)
    for (let q = 0; q < P; q++) for (let k = 0; k < d; k++) Q[q * d + k] = Q[q * d + k]! + w.out_b![k]! + X[q * d + k]!;
    // 3. sampled softmax: S = Q Rc^T + bc; G = (softmax - onehot) / P written back into S
    if (split) {
      this.Q2 = grow(this.Q2, P * wc); this.dQ2 = grow(this.dQ2, P * wc);
      const Q2 = this.Q2;
      for (let q = 0; q < P; q++) {
        Q2.set(Q.subarray(q * d, q * d + d), q * wc);
        for (let j = 0; j < d; j++) Q2[q * wc + d + j] = dot(T, j * d, Q, q * d, d); // (Q·Tᵀ)[j] = Σ_k T[j, k]·Q[k]
      }
      this.kernels.logits(Q2, Rc, bc, S, P, Cn, wc);
    } else this.kernels.logits(Q, Rc, bc, S, P, Cn, d);
    const invP = 1 / Math.max(1, Pb);
    const rowsToo = !this.frozenRows;
    // G = (softmax − onehot)/P written back into S, and the item biases' gradient Σ_q G[q, c] (column sums)
    const gcol = (this.gcol = grow(this.gcol, Cn));
    gcol.fill(0, 0, Cn);
    let loss = this.kernels.softmaxGrad(S, this.tgtCol, P, Cn, invP, rowsToo ? gcol : null);
    // 4. dQ = G Rc, dRc = G^T Q, d bias
    const dQ = this.dQ;
    const gb = g.item_bias!;
    const gT = g.attr_tr!;
    if (split) {
      // [dQ | G·A] = G·[E | a]; dQ += (G·A)·T; ∂T[j, k] += Σ_q (G·A)[q, j]·Q[q, k]
      const dQ2 = this.dQ2;
      this.kernels.gradQ(S, Rc, dQ2, P, Cn, wc);
      for (let q = 0; q < P; q++) {
        vecMat(dQ2, q * wc + d, T, d, d, null, dQ, q * d);
        axpy(1, dQ2, q * wc, dQ, q * d, d);
        for (let j = 0; j < d; j++) { const a = dQ2[q * wc + d + j]!; if (a !== 0) axpy(a, Q, q * d, gT, j * d, d); }
      }
    } else this.kernels.gradQ(S, Rc, dQ, P, Cn, d);
    if (cached) {
      // G·A (P × d), then ∂T[j, k] += Σ_q (G·A)[q, j]·Q[q, k]
      this.dQ2 = grow(this.dQ2, P * d);
      const GA = this.dQ2;
      this.kernels.gradQ(S, this.Ac, GA, P, Cn, d);
      for (let q = 0; q < P; q++) for (let j = 0; j < d; j++) { const a = GA[q * d + j]!; if (a !== 0) axpy(a, Q, q * d, gT, j * d, d); }
    }
    if (rowsToo) this.kernels.gradCandidates(S, Q, dRc, P, Cn, d);
    for (let c = 0; rowsToo && c < Cn; c++) {
      const u = this.candLocal[c]!;
      gb[this.rows[u]!] = gb[this.rows[u]!]! + gcol[c]!;
      axpy(1, dRc, c * d, dRL, u * d, d);
    }
    // 5. output layer over all positions, then the heads and BPTT through the recurrent part only, then the input
    // layer over all positions
    const { dh, DHD, DGX, DGH, DX } = this;
    this.kernels.logits(dQ, w.out_w!, this.zerosOf(H), DHD, P, H, d); // ∂HD = ∂Q·out_wᵀ
    this.addProduct('out_w', H, d, (o) => this.kernels.gradCandidates(HD, dQ, o, P, H, d)); // ∂out_w += HDᵀ·∂Q
    for (let q = 0; q < P; q++) axpy(1, dQ, q * d, g.out_b!, 0, d);
    const useIntent = this.typed && cfg.intentWeight > 0, useCat = this.itemCategory !== null && this.C > 1 && cfg.categoryWeight > 0;
    dhSeq.fill(0, 0, nSeq * H); // ∂h_prev carried back, per sequence
    for (let t = maxT - 1; t >= 0; t--) {
      let B = 0;
      for (let si = 0; si < nSeq; si++) {
        const q = starts[si]! + t;
        if (q >= starts[si + 1]!) continue;
        if (useIntent) loss += this.intentHead(q, DHD, invP);
        if (useCat) loss += this.categoryHead(q, DHD, invP);
        for (let k = 0; k < H; k++) dh[k] = DHD[q * H + k]! * MH[q * H + k]! + dhSeq[si * H + k]!;
        cache.co = q * H;
        gruGatesBack(g, H, HP, q * H, cache, dh, dhSeq, si * H, DGX, DGH, q * H3);
        DB.set(DGH.subarray(q * H3, q * H3 + H3), B * H3);
        actSeq[B++] = si;
      }
      this.kernels.logits(DB, w.gru_wh!, this.zerosOf(H), DHB, B, H, H3); // ∂h_prev += ∂GH·W_hᵀ
      for (let b = 0; b < B; b++) axpy(1, DHB, b * H, dhSeq, actSeq[b]! * H, H);
    }
    this.kernels.logits(DGX, w.gru_wx!, this.zerosOf(d), DX, P, d, H3); // ∂X = ∂GX·W_xᵀ
    this.addProduct('gru_wx', d, H3, (o) => this.kernels.gradCandidates(X, DGX, o, P, d, H3)); // ∂W_x += Xᵀ·∂GX
    this.addProduct('gru_wh', H, H3, (o) => this.kernels.gradCandidates(HP, DGH, o, P, H, H3)); // ∂W_h += H_prevᵀ·∂GH
    for (let q = 0; q < P; q++) {
      const u = this.inLocal[q]!, ke = this.kindAt[q]! * d, kg = this.gapAt[q]! * d;
      for (let k = 0; k < d; k++) {
        // ∂x: through the GRU and through the input skip (∂Q), under the input's dropout mask
        const gx = (DX[q * d + k]! + dQ[q * d + k]!) * MX[q * d + k]!;
        if (rowsToo) dRL[u * d + k] = dRL[u * d + k]! + gx;
        else this.dSkip[k] = gx;
        g.event_emb![ke + k] = g.event_emb![ke + k]! + gx;
        g.gap_emb![kg + k] = g.gap_emb![kg + k]! + gx;
      }
      // a frozen step: the input's part of ∂T (a ⊗ ∂x) here, since no row gradient is gathered
      if (!rowsToo && attrN[u]! > 0) for (let j = 0; j < d; j++) { const a = AL[u * d + j]!; if (a !== 0) axpy(a, this.dSkip, 0, gT, j * d, d); }
    }
    // 6. rows' itemRep gradients (dRL) → item_emb, T (∂T += a ⊗ dRL) and the attribute rows (∂a = T·dRL)
    const gE = g.item_emb!, gA = g.attr_emb!, { attrOffsets, attrIds } = model.attrs;
    if (rowsToo) {
      // ∂T += Σ_u a_u ⊗ ∂rep_u = ALᵀ·∂RL and every row's ∂a = T·∂rep (rows of ∂RL·Tᵀ), as products over the rows
      this.addProduct('attr_tr', d, d, (o) => this.kernels.gradCandidates(AL, dRL, o, U, d, d));
      this.dA = grow(this.dA, U * d);
      this.kernels.logits(dRL, T, this.zerosOf(d), this.dA, U, d, d);
    }
    const dA = this.dA;
    for (let u = 0; rowsToo && u < U; u++) {
      const i = this.rows[u]!;
      axpy(1, dRL, u * d, gE, i * d, d);
      const a0 = attrOffsets[i] ?? 0, a1 = attrOffsets[i + 1] ?? 0;
      if (a1 <= a0) continue;
      for (let a = a0; a < a1; a++) { const ar = attrIds[a]!; this.attrStamp[ar] = this.stamp; axpy(1 / (a1 - a0), dA, u * d, gA, ar * d, d); }
    }
    return { loss: loss * invP, positions: P };
  }

  /** Purchase-intent BCE at position q; adds its gradient to row q of dHD; returns its loss contribution (unnormalised). */
  private intentHead(q: number, dHD: Float32Array, invP: number): number {
    const { H, cfg } = this, w = this.model.w, g = this.grads;
    const y = this.buyLater[q]!, pr = sigmoid(dot(this.HD, q * this.H, w.intent_w!, 0, H) + w.intent_b![0]!);
    const gl = cfg.intentWeight * (pr - y) * invP;
    axpy(gl, w.intent_w!, 0, dHD, q * H, H);
    axpy(gl, this.HD, q * H, g.intent_w!, 0, H);
    g.intent_b![0] = g.intent_b![0]! + gl;
    return -cfg.intentWeight * (y ? Math.log(Math.max(pr, 1e-12)) : Math.log(Math.max(1 - pr, 1e-12)));
  }

  /** Category-intent CE on the next item's category at position q (skipped when unknown). */
  private categoryHead(q: number, dHD: Float32Array, invP: number): number {
    const { H, C, cfg } = this, w = this.model.w, g = this.grads, L = this.catLogits;
    const y = this.itemCategory![this.tgtItem[q]!]!;
    if (y === 0) return 0;
    vecMat(this.HD, q * H, w.cat_w!, H, C, w.cat_b!, L, 0);
    let mx = -Infinity, z = 0;
    for (let c = 0; c < C; c++) mx = Math.max(mx, L[c]!);
    for (let c = 0; c < C; c++) { L[c] = Math.exp(L[c]! - mx); z += L[c]!; }
    const loss = -Math.log(L[y]! / z);
    for (let c = 0; c < C; c++) L[c] = (cfg.categoryWeight * invP * L[c]!) / z;
    L[y] = L[y]! - cfg.categoryWeight * invP;
    vecMatBack(this.HD, q * H, w.cat_w!, H, C, L, 0, g.cat_w!, dHD, q * H, true);
    axpy(1, L, 0, g.cat_b!, 0, C);
    return cfg.categoryWeight * loss;
  }

  private growSteps(n: number): void {
    const H = this.H;
    if (this.act.length >= n) return;
    const m = Math.ceil(n * 1.5);
    this.act = new Int32Array(m); this.actSeq = new Int32Array(m); this.HB = new Float32Array(m * H); this.GHB = new Float32Array(m * 3 * H);
    this.DB = new Float32Array(m * 3 * H); this.DHB = new Float32Array(m * H); this.dhSeq = new Float32Array(m * H);
  }

  private ensurePositions(P: number): void {
    const { d, H } = this;
    if (this.X.length >= P * d) return;
    const n = Math.ceil(P * 1.5);
    this.X = new Float32Array(n * d); this.MX = new Float32Array(n * d); this.Q = new Float32Array(n * d); this.dQ = new Float32Array(n * d);
    this.Hs = new Float32Array(n * H); this.HD = new Float32Array(n * H); this.MH = new Float32Array(n * H);
    this.GX = new Float32Array(n * 3 * H); this.DGX = new Float32Array(n * 3 * H); this.DGH = new Float32Array(n * 3 * H);
    this.DHD = new Float32Array(n * H); this.DX = new Float32Array(n * d); this.HP = new Float32Array(n * H);
    this.cache = { r: new Float32Array(n * H), z: new Float32Array(n * H), n: new Float32Array(n * H), ghn: new Float32Array(n * H), co: 0 };
    this.inLocal = new Int32Array(n); this.tgtCol = new Int32Array(n); this.tgtItem = new Int32Array(n);
    this.kindAt = new Int32Array(n); this.gapAt = new Int32Array(n); this.buyLater = new Int32Array(n);
  }
}

// Register-blocked kernels of the sampled softmax, the trainer's hot spot (about 3·P·Cn·d multiply-adds per batch
// against P·(d + H)·3H for the GRU). JavaScript engines do not vectorise these loops, so the gain comes from
// reusing each loaded value four times: every kernel works on four rows of one operand at once.

/** S[q, c] = Q[q]·Rc[c] + bc[c] for P queries and Cn candidates (blocks of four queries share each Rc load). */
export function logits(Q: Float32Array, Rc: Float32Array, bc: Float32Array, S: Float32Array, P: number, Cn: number, d: number): void {
  let q = 0;
  for (; q + 3 < P; q += 4) {
    const a0 = q * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d, so = q * Cn;
    for (let c = 0; c < Cn; c++) {
      const co = c * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < d; k++) {
        const r = Rc[co + k]!;
        s0 += Q[a0 + k]! * r; s1 += Q[a1 + k]! * r; s2 += Q[a2 + k]! * r; s3 += Q[a3 + k]! * r;
      }
      const b = bc[c]!;
      S[so + c] = s0 + b; S[so + Cn + c] = s1 + b; S[so + 2 * Cn + c] = s2 + b; S[so + 3 * Cn + c] = s3 + b;
    }
  }
  for (; q < P; q++) for (let c = 0; c < Cn; c++) S[q * Cn + c] = dot(Q, q * d, Rc, c * d, d) + bc[c]!;
}

/** dQ[q] = Σ_c G[q, c]·Rc[c] (overwrites dQ; blocks of four candidates per pass over dQ[q]). */
export function gradQ(G: Float32Array, Rc: Float32Array, dQ: Float32Array, P: number, Cn: number, d: number): void {
  dQ.fill(0, 0, P * d);
  for (let q = 0; q < P; q++) {
    const go = q * Cn, o = q * d;
    let c = 0;
    for (; c + 3 < Cn; c += 4) {
      const g0 = G[go + c]!, g1 = G[go + c + 1]!, g2 = G[go + c + 2]!, g3 = G[go + c + 3]!;
      const r0 = c * d, r1 = r0 + d, r2 = r1 + d, r3 = r2 + d;
      for (let k = 0; k < d; k++) dQ[o + k] = dQ[o + k]! + g0 * Rc[r0 + k]! + g1 * Rc[r1 + k]! + g2 * Rc[r2 + k]! + g3 * Rc[r3 + k]!;
    }
    for (; c < Cn; c++) axpy(G[go + c]!, Rc, c * d, dQ, o, d);
  }
}

/** dRc[c] = Σ_q G[q, c]·Q[q] (overwrites dRc; blocks of four queries per pass over dRc[c]). */
export function gradCandidates(G: Float32Array, Q: Float32Array, dRc: Float32Array, P: number, Cn: number, d: number): void {
  dRc.fill(0, 0, Cn * d);
  let q = 0;
  for (; q + 3 < P; q += 4) {
    const a0 = q * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d, go = q * Cn;
    for (let c = 0; c < Cn; c++) {
      const g0 = G[go + c]!, g1 = G[go + Cn + c]!, g2 = G[go + 2 * Cn + c]!, g3 = G[go + 3 * Cn + c]!, co = c * d;
      for (let k = 0; k < d; k++) dRc[co + k] = dRc[co + k]! + g0 * Q[a0 + k]! + g1 * Q[a1 + k]! + g2 * Q[a2 + k]! + g3 * Q[a3 + k]!;
    }
  }
  for (; q < P; q++) for (let c = 0; c < Cn; c++) axpy(G[q * Cn + c]!, Q, q * d, dRc, c * d, d);
}

/** The softmax pass in JavaScript (Math.exp, float64 sums): see DenseKernels.softmaxGrad. */
export function softmaxGrad(S: Float32Array, tgt: Int32Array, P: number, Cn: number, invP: number, colSums: Float32Array | null): number {
  let loss = 0;
  for (let q = 0; q < P; q++) {
    const so = q * Cn;
    let mx = -Infinity;
    for (let c = 0; c < Cn; c++) if (S[so + c]! > mx) mx = S[so + c]!;
    let z = 0;
    for (let c = 0; c < Cn; c++) { const e = Math.exp(S[so + c]! - mx); S[so + c] = e; z += e; }
    const t = tgt[q]!;
    loss += Math.log(z) + mx - (Math.log(S[so + t]!) + mx);
    const iz = invP / z;
    for (let c = 0; c < Cn; c++) S[so + c] = S[so + c]! * iz;
    S[so + t] = S[so + t]! - invP;
    if (colSums) for (let c = 0; c < Cn; c++) colSums[c] = colSums[c]! + S[so + c]!;
  }
  return loss;
}

/** The JavaScript kernels (float64 sums): the fallback and the reference of every other DenseKernels. */
export const JS_KERNELS: DenseKernels = { logits, gradQ, gradCandidates, softmaxGrad };

/**
 * The gates of one GRU step (PyTorch's formulation, as `gruForward`) from its input part gx = x·W_x at
 * GX[go..go+3H) and its recurrent part gh = h_prev·W_h at GH[gho..gho+3H), both without their biases.
 */
function gruGates(w: Weights, H: number, GX: Float32Array, go: number, GH: Float32Array, gho: number, hp: Float32Array, ho: number,
  h: Float32Array, oo: number, cache: GruCache): void {
  const bx = w.gru_bx!, bh = w.gru_bh!;
  for (let j = 0; j < H; j++) {
    const r = sigmoid(GX[go + j]! + bx[j]! + GH[gho + j]! + bh[j]!);
    const z = sigmoid(GX[go + H + j]! + bx[H + j]! + GH[gho + H + j]! + bh[H + j]!);
    const ghn = GH[gho + 2 * H + j]! + bh[2 * H + j]!;
    const n = Math.tanh(GX[go + 2 * H + j]! + bx[2 * H + j]! + r * ghn);
    h[oo + j] = (1 - z) * n + z * hp[ho + j]!;
    const c = cache.co + j; cache.r[c] = r; cache.z[c] = z; cache.n[c] = n; cache.ghn[c] = ghn;
  }
}

/**
 * Backward of `gruGates` for ∂h = dh: writes the gates' gradients (∂gx, ∂gh) at DGX/DGH[go..go+3H) for the
 * products over positions, adds the biases' gradients, and writes the direct part of ∂h_prev (dh·z) at
 * dhp[dho..dho+H); the part through W_h is added by the caller's product over the step's sequences.
 */
function gruGatesBack(g: Weights, H: number, hp: Float32Array, ho: number, cache: GruCache, dh: Float32Array,
  dhp: Float32Array, dho: number, DGX: Float32Array, DGH: Float32Array, go: number): void {
  const co = cache.co, bx = g.gru_bx!, bh = g.gru_bh!;
  for (let j = 0; j < H; j++) {
    const r = cache.r[co + j]!, z = cache.z[co + j]!, n = cache.n[co + j]!, ghn = cache.ghn[co + j]!;
    const dhj = dh[j]!;
    const dan = dhj * (1 - z) * (1 - n * n);
    const daz = dhj * (hp[ho + j]! - n) * z * (1 - z);
    const dar = dan * ghn * r * (1 - r);
    dhp[dho + j] = dhj * z;
    DGX[go + j] = dar; DGX[go + H + j] = daz; DGX[go + 2 * H + j] = dan;
    DGH[go + j] = dar; DGH[go + H + j] = daz; DGH[go + 2 * H + j] = dan * r;
  }
  for (let k = 0; k < 3 * H; k++) { bx[k] = bx[k]! + DGX[go + k]!; bh[k] = bh[k]! + DGH[go + k]!; }
}
