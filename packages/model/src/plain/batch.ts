import type { Sequence } from '../data/types.js';
import { EVENT_KINDS, type Weights } from '../spec.js';
import { gruBackward } from './gru-backward.js';
import { axpy, dot, sigmoid, vecMat, vecMatBack } from './kernels.js';
import { gruForward, type GruCache, type PlainModel } from './model.js';
import type { Rng } from '../rng.js';

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
 * Forward + backward (BPTT) of a batch of sequences under sampled softmax cross-entropy with logQ correction
 * (in-batch targets plus shared sampled negatives; Jean et al. 2015, Yi et al. 2019), plus optional
 * purchase-intent (BCE: will this sequence contain a purchase after this event?) and category-intent (CE on the
 * next item's category) losses. Gradients are accumulated into `grads`; touched embedding rows are reported so
 * the optimiser can update them sparsely.
 */
export class BatchStep {
  private readonly V: number; private readonly d: number; private readonly H: number; private readonly C: number;
  private readonly cdf: Float64Array;
  private readonly cdfBatch: Float64Array;
  private readonly qSample: Float64Array;
  private readonly qBatch: Float64Array;
  private readonly localOf: Int32Array; private readonly localStamp: Int32Array;
  private readonly candOf: Int32Array; private readonly candStamp: Int32Array;
  private stamp = 0;
  // per-position buffers
  private X = new Float32Array(0); private MX = new Float32Array(0); private Hs = new Float32Array(0); private HD = new Float32Array(0);
  private MH = new Float32Array(0); private Q = new Float32Array(0); private dQ = new Float32Array(0);
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
  private bc = new Float32Array(0); private S = new Float32Array(0);
  private readonly gx: Float32Array; private readonly gh: Float32Array; private readonly dgx: Float32Array; private readonly dgh: Float32Array;
  private readonly dh: Float32Array; private readonly dhNext: Float32Array; private readonly dHD: Float32Array;
  private readonly zeroH: Float32Array; private readonly catLogits: Float32Array; private readonly dSkip: Float32Array;
  /** Attribute rows touched by the last batch (marked with attrStamp === stamp). */
  readonly attrStamp: Int32Array;

  constructor(private readonly model: PlainModel, private readonly grads: Weights, private readonly cfg: LossConfig,
    private readonly rng: Rng, counts: Float64Array, private readonly itemCategory: Int32Array | null, private readonly typed: boolean) {
    const { numItems: V, dim: d, hidden: H, numCategories: C, numAttrs } = model.dims;
    this.V = V; this.d = d; this.H = H; this.C = C;
    this.qSample = new Float64Array(V + 1); this.qBatch = new Float64Array(V + 1); this.cdf = new Float64Array(V + 1); this.cdfBatch = new Float64Array(V + 1);
    let zs = 0, tot = 0;
    for (let i = 1; i <= V; i++) { this.qSample[i] = Math.pow(counts[i]! + 1, cfg.negAlpha); zs += this.qSample[i]!; tot += counts[i]!; }
    let acc = 0;
    for (let i = 1; i <= V; i++) { this.qSample[i] = this.qSample[i]! / zs; acc += this.qSample[i]!; this.cdf[i] = acc; this.qBatch[i] = counts[i]! / Math.max(1, tot); }
    const pv = virtualBatchProbabilities(counts, V);
    for (let i = 1; i <= V; i++) this.cdfBatch[i] = this.cdfBatch[i - 1]! + pv[i]!;
    this.localOf = new Int32Array(V + 1); this.localStamp = new Int32Array(V + 1);
    this.candOf = new Int32Array(V + 1); this.candStamp = new Int32Array(V + 1);
    this.attrStamp = new Int32Array(numAttrs + 1);
    this.gx = new Float32Array(3 * H); this.gh = new Float32Array(3 * H); this.dgx = new Float32Array(3 * H); this.dgh = new Float32Array(3 * H);
    this.dh = new Float32Array(H); this.dhNext = new Float32Array(H); this.dHD = new Float32Array(H); this.zeroH = new Float32Array(H);
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

  get currentStamp(): number { return this.stamp; }

  private sample(cdf = this.cdf): number {
    const u = this.rng.next() * cdf[this.V]!;
    let lo = 1, hi = this.V;
    while (lo < hi) { const m = (lo + hi) >> 1; if (cdf[m]! < u) lo = m + 1; else hi = m; }
    return lo;
  }

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

  /** Runs forward and backward on `seqs`, accumulating gradients; returns { loss (mean per position), positions }. */
  run(seqs: Sequence[]): { loss: number; positions: number } {
    const { d, H, cfg, model } = this;
    const w = model.w, g = this.grads;
    this.stamp++; this.touchedCount = 0; this.candCount = 0;
    // 1. positions, local rows, candidates
    let P = 0;
    for (const s of seqs) P += Math.max(0, Math.min(s.items.length, cfg.maxLen) - 1);
    this.ensurePositions(P);
    const starts: number[] = [];
    let p = 0;
    for (const s of seqs) {
      const n = Math.min(s.items.length, cfg.maxLen), off = s.items.length - n;
      if (n < 2) continue;
      starts.push(p);
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
    for (let q = 0; q < P; q++) this.tgtCol[q] = this.addCand(this.tgtItem[q]!);
    if (!full) for (let k = 0; k < cfg.negatives; k++) this.addCand(this.sample());
    const vb = !full && this.cdfBatch[this.V]! > 0 ? cfg.virtualBatch ?? 0 : 0;
    for (let k = 0; k < vb; k++) this.addCand(this.sample(this.cdfBatch));
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
      attrN[u] = model.attrMeanInto(i, AL, u * d);
      if (!this.frozenRows) model.repFromMean(i, AL, u * d, attrN[u]!, RL, u * d); // frozen: only the inputs', below
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
      bc[c] = bias[i]! - (full ? 0 : Math.log(cfg.negatives * this.qSample[i]! + (P + vb) * this.qBatch[i]!));
    }
    // 2. GRU forward with dropout on inputs and on the state fed to the heads
    const { X, MX, Hs, HD, MH, Q, cache } = this;
    const kin = 1 / (1 - cfg.dropoutIn), kout = 1 / (1 - cfg.dropoutOut);
    for (let si = 0; si + 1 < starts.length; si++) {
      for (let q = starts[si]!; q < starts[si + 1]!; q++) {
        const xo = q * d;
        for (let k = 0; k < d; k++) {
          const m = cfg.dropoutIn > 0 && this.rng.next() < cfg.dropoutIn ? 0 : kin;
          MX[xo + k] = m;
          X[xo + k] = (RL[this.inLocal[q]! * d + k]! + w.event_emb![this.kindAt[q]! * d + k]! + w.gap_emb![this.gapAt[q]! * d + k]!) * m;
        }
        cache.co = q * H;
        const first = q === starts[si];
        gruForward(w, d, H, X, xo, first ? this.zeroH : Hs, first ? 0 : (q - 1) * H, this.gx, this.gh, Hs, q * H, cache);
        for (let k = 0; k < H; k++) {
          const m = cfg.dropoutOut > 0 && this.rng.next() < cfg.dropoutOut ? 0 : kout;
          MH[q * H + k] = m; HD[q * H + k] = Hs[q * H + k]! * m;
        }
        vecMat(HD, q * H, w.out_w!, H, d, w.out_b!, Q, q * d);
        axpy(1, X, xo, Q, q * d, d); // input skip (spec v2): q = h·out_w + out_b + x
      }
    }
    // 3. sampled softmax: S = Q Rc^T + bc; G = (softmax - onehot) / P written back into S
    if (split) {
      this.Q2 = grow(this.Q2, P * wc); this.dQ2 = grow(this.dQ2, P * wc);
      const Q2 = this.Q2;
      for (let q = 0; q < P; q++) {
        Q2.set(Q.subarray(q * d, q * d + d), q * wc);
        for (let j = 0; j < d; j++) Q2[q * wc + d + j] = dot(T, j * d, Q, q * d, d); // (Q·Tᵀ)[j] = Σ_k T[j, k]·Q[k]
      }
      logits(Q2, Rc, bc, S, P, Cn, wc);
    } else logits(Q, Rc, bc, S, P, Cn, d);
    let loss = 0;
    const invP = 1 / Math.max(1, P);
    for (let q = 0; q < P; q++) {
      const so = q * Cn;
      let mx = -Infinity;
      for (let c = 0; c < Cn; c++) if (S[so + c]! > mx) mx = S[so + c]!;
      let z = 0;
      for (let c = 0; c < Cn; c++) { const e = Math.exp(S[so + c]! - mx); S[so + c] = e; z += e; }
      const t = this.tgtCol[q]!;
      loss += Math.log(z) + mx - (Math.log(S[so + t]!) + mx);
      const iz = invP / z;
      for (let c = 0; c < Cn; c++) S[so + c] = S[so + c]! * iz;
      S[so + t] = S[so + t]! - invP;
    }
    // 4. dQ = G Rc, dRc = G^T Q, d bias
    const dQ = this.dQ;
    const gb = g.item_bias!;
    const gT = g.attr_tr!;
    if (split) {
      // [dQ | G·A] = G·[E | a]; dQ += (G·A)·T; ∂T[j, k] += Σ_q (G·A)[q, j]·Q[q, k]
      const dQ2 = this.dQ2;
      gradQ(S, Rc, dQ2, P, Cn, wc);
      for (let q = 0; q < P; q++) {
        vecMat(dQ2, q * wc + d, T, d, d, null, dQ, q * d);
        axpy(1, dQ2, q * wc, dQ, q * d, d);
        for (let j = 0; j < d; j++) { const a = dQ2[q * wc + d + j]!; if (a !== 0) axpy(a, Q, q * d, gT, j * d, d); }
      }
    } else gradQ(S, Rc, dQ, P, Cn, d);
    if (cached) {
      // G·A (P × d), then ∂T[j, k] += Σ_q (G·A)[q, j]·Q[q, k]
      this.dQ2 = grow(this.dQ2, P * d);
      const GA = this.dQ2;
      gradQ(S, this.Ac, GA, P, Cn, d);
      for (let q = 0; q < P; q++) for (let j = 0; j < d; j++) { const a = GA[q * d + j]!; if (a !== 0) axpy(a, Q, q * d, gT, j * d, d); }
    }
    const rowsToo = !this.frozenRows;
    if (rowsToo) gradCandidates(S, Q, dRc, P, Cn, d);
    for (let c = 0; rowsToo && c < Cn; c++) {
      let s = 0;
      for (let q = 0; q < P; q++) s += S[q * Cn + c]!;
      const u = this.candLocal[c]!;
      gb[this.rows[u]!] = gb[this.rows[u]!]! + s;
      axpy(1, dRc, c * d, dRL, u * d, d);
    }
    // 5. heads and BPTT
    const { dh, dhNext, dHD } = this;
    const useIntent = this.typed && cfg.intentWeight > 0, useCat = this.itemCategory !== null && this.C > 1 && cfg.categoryWeight > 0;
    for (let si = starts.length - 2; si >= 0; si--) {
      dhNext.fill(0);
      for (let q = starts[si + 1]! - 1; q >= starts[si]!; q--) {
        vecMatBack(HD, q * H, w.out_w!, H, d, dQ, q * d, g.out_w!, dHD, 0, false);
        axpy(1, dQ, q * d, g.out_b!, 0, d);
        if (useIntent) loss += this.intentHead(q, dHD, invP);
        if (useCat) loss += this.categoryHead(q, dHD, invP);
        for (let k = 0; k < H; k++) dh[k] = dHD[k]! * MH[q * H + k]! + dhNext[k]!;
        cache.co = q * H;
        const first = q === starts[si];
        const dxo = q * d; // reuse dQ row q as dx scratch: dQ[q] is no longer needed
        this.dSkip.set(dQ.subarray(q * d, q * d + d)); // ∂loss/∂x through the input skip, before dQ[q] is overwritten
        gruBackward(w, g, d, H, X, q * d, first ? this.zeroH : Hs, first ? 0 : (q - 1) * H, cache, dh, dhNext, dQ, dxo, this.dgx, this.dgh);
        const u = this.inLocal[q]!, ke = this.kindAt[q]! * d, kg = this.gapAt[q]! * d;
        for (let k = 0; k < d; k++) {
          const gx = (dQ[dxo + k]! + this.dSkip[k]!) * MX[q * d + k]!;
          if (rowsToo) dRL[u * d + k] = dRL[u * d + k]! + gx;
          else this.dSkip[k] = gx;
          g.event_emb![ke + k] = g.event_emb![ke + k]! + gx;
          g.gap_emb![kg + k] = g.gap_emb![kg + k]! + gx;
        }
        // a frozen step: the input's part of ∂T (a ⊗ ∂x) here, since no row gradient is gathered
        if (!rowsToo && attrN[u]! > 0) for (let j = 0; j < d; j++) { const a = AL[u * d + j]!; if (a !== 0) axpy(a, this.dSkip, 0, gT, j * d, d); }
      }
    }
    // 6. rows' itemRep gradients (dRL) → item_emb, T (∂T += a ⊗ dRL) and the attribute rows (∂a = T·dRL)
    const gE = g.item_emb!, gA = g.attr_emb!, { attrOffsets, attrIds } = model.attrs;
    this.dA = grow(this.dA, d);
    const dA = this.dA;
    for (let u = 0; rowsToo && u < U; u++) {
      const i = this.rows[u]!;
      if (attrN[u]! > 0) for (let j = 0; j < d; j++) { const a = AL[u * d + j]!; if (a !== 0) axpy(a, dRL, u * d, gT, j * d, d); }
      axpy(1, dRL, u * d, gE, i * d, d);
      const a0 = attrOffsets[i] ?? 0, a1 = attrOffsets[i + 1] ?? 0;
      if (a1 <= a0) continue;
      for (let j = 0; j < d; j++) dA[j] = dot(T, j * d, dRL, u * d, d);
      for (let a = a0; a < a1; a++) { const ar = attrIds[a]!; this.attrStamp[ar] = this.stamp; axpy(1 / (a1 - a0), dA, 0, gA, ar * d, d); }
    }
    return { loss: loss * invP, positions: P };
  }

  /** Purchase-intent BCE at position q; adds its gradient to dHD; returns its loss contribution (unnormalised). */
  private intentHead(q: number, dHD: Float32Array, invP: number): number {
    const { H, cfg } = this, w = this.model.w, g = this.grads;
    const y = this.buyLater[q]!, pr = sigmoid(dot(this.HD, q * this.H, w.intent_w!, 0, H) + w.intent_b![0]!);
    const gl = cfg.intentWeight * (pr - y) * invP;
    axpy(gl, w.intent_w!, 0, dHD, 0, H);
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
    vecMatBack(this.HD, q * H, w.cat_w!, H, C, L, 0, g.cat_w!, dHD, 0, true);
    axpy(1, L, 0, g.cat_b!, 0, C);
    return cfg.categoryWeight * loss;
  }

  private ensurePositions(P: number): void {
    const { d, H } = this;
    if (this.X.length >= P * d) return;
    const n = Math.ceil(P * 1.5);
    this.X = new Float32Array(n * d); this.MX = new Float32Array(n * d); this.Q = new Float32Array(n * d); this.dQ = new Float32Array(n * d);
    this.Hs = new Float32Array(n * H); this.HD = new Float32Array(n * H); this.MH = new Float32Array(n * H);
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
