/** JS-side preparation of one training batch for the tfjs training step (indices, labels, masks). */

/** A training sequence: item rows, EVENT_KINDS rows and gap buckets (same as the data package's Sequence). */
export interface TrainSequence {
  items: ArrayLike<number>;
  kinds: ArrayLike<number>;
  gaps: ArrayLike<number>;
}

/** Everything the loss needs, as flat arrays: B sequences padded to T input positions, P of them valid. */
export interface PreparedBatch {
  B: number;
  T: number;
  P: number;
  /** Distinct item rows used (inputs and candidates); local index 0 is the padding row 0. */
  rowsU: Int32Array;
  /** Local index (into rowsU) of each of the B·T input positions, and their kinds and gaps. */
  inLocal: Int32Array;
  kinds: Int32Array;
  gaps: Int32Array;
  /** Flat positions b·T + t that predict a next item. */
  valid: Int32Array;
  /** Candidate columns: local index into rowsU, item row, logQ correction; the target's column per position. */
  candLocal: Int32Array;
  candRows: Int32Array;
  candLogQ: Float32Array;
  tgtCol: Int32Array;
  /** Purchase later in the sequence (intent label) and the next item's category (0 = unknown) per position. */
  buyLater: Float32Array;
  catLabel: Int32Array;
}

/** Seeded mulberry32: negatives and dropout masks must be reproducible. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Sampler {
  /** Sampling distribution ∝ (count + 1)^alpha, as a CDF over rows 1..V. */
  cdf: Float64Array;
  qSample: Float64Array;
  /** In-batch (target) frequency of each row. */
  qBatch: Float64Array;
}

/** Builds the negative sampler from item counts (length V + 1; row 0 ignored). */
export function makeSampler(counts: ArrayLike<number>, alpha: number): Sampler {
  const V = counts.length - 1;
  const qSample = new Float64Array(V + 1), qBatch = new Float64Array(V + 1), cdf = new Float64Array(V + 1);
  let z = 0, tot = 0;
  for (let i = 1; i <= V; i++) {
    qSample[i] = Math.pow((counts[i] as number) + 1, alpha);
    z += qSample[i] as number;
    tot += counts[i] as number;
  }
  let acc = 0;
  for (let i = 1; i <= V; i++) {
    qSample[i] = (qSample[i] as number) / z;
    acc += qSample[i] as number;
    cdf[i] = acc;
    qBatch[i] = (counts[i] as number) / Math.max(1, tot);
  }
  return { cdf, qSample, qBatch };
}

/**
 * Lays out a batch like the trainer's plain step: the last `maxLen` events of each sequence, every event but
 * the last predicts the next item; candidates are the batch's targets plus `negatives` rows drawn from the
 * sampler (shared by all positions), each corrected by logQ = log(negatives·q_sample + P·q_batch). With
 * negatives ≥ V every item is a candidate and no correction applies (full softmax).
 */
export function prepareBatch(seqs: readonly TrainSequence[], numItems: number, s: Sampler, negatives: number, maxLen: number, rnd: () => number, purchaseKind: number, itemCategory: ArrayLike<number> | null): PreparedBatch {
  const kept = seqs.map((q) => ({ q, n: Math.min(q.items.length, maxLen) })).filter((k) => k.n >= 2);
  const B = kept.length;
  const T = Math.max(1, ...kept.map((k) => k.n - 1));
  const local = new Map<number, number>([[0, 0]]);
  const rowsU: number[] = [0];
  const loc = (row: number) => local.get(row) ?? (local.set(row, rowsU.length), rowsU.push(row), rowsU.length - 1);
  const inLocal = new Int32Array(B * T), kinds = new Int32Array(B * T), gaps = new Int32Array(B * T);
  const valid: number[] = [], tgt: number[] = [], buy: number[] = [], cat: number[] = [];
  kept.forEach(({ q, n }, b) => {
    const off = q.items.length - n;
    let bought = 0;
    const later = new Array<number>(n).fill(0);
    for (let t = n - 1; t >= 1; t--) {
      if (q.kinds[off + t] === purchaseKind) bought = 1;
      later[t - 1] = bought;
    }
    for (let t = 0; t < n - 1; t++) {
      inLocal[b * T + t] = loc(q.items[off + t] as number);
      kinds[b * T + t] = q.kinds[off + t] as number;
      gaps[b * T + t] = q.gaps[off + t] as number;
      valid.push(b * T + t);
      const next = q.items[off + t + 1] as number;
      tgt.push(next);
      buy.push(later[t] as number);
      cat.push(itemCategory ? ((itemCategory[next] as number) ?? 0) : 0);
    }
  });
  const P = valid.length;
  const full = negatives >= numItems;
  const colOf = new Map<number, number>();
  const cands: number[] = [];
  const addCand = (row: number) => colOf.get(row) ?? (colOf.set(row, cands.length), cands.push(row), cands.length - 1);
  if (full) for (let i = 1; i <= numItems; i++) addCand(i);
  const tgtCol = Int32Array.from(tgt, addCand);
  if (!full) {
    for (let k = 0; k < negatives; k++) {
      const u = rnd() * (s.cdf[numItems] as number);
      let lo = 1, hi = numItems;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if ((s.cdf[m] as number) < u) lo = m + 1;
        else hi = m;
      }
      addCand(lo);
    }
  }
  const candLocal = Int32Array.from(cands, loc); // before rowsU is frozen: candidates join the local rows
  return {
    B, T, P,
    rowsU: Int32Array.from(rowsU),
    inLocal, kinds, gaps,
    valid: Int32Array.from(valid),
    candLocal,
    candRows: Int32Array.from(cands),
    candLogQ: Float32Array.from(cands, (i) => (full ? 0 : Math.log(negatives * (s.qSample[i] as number) + P * (s.qBatch[i] as number)))),
    tgtCol,
    buyLater: Float32Array.from(buy),
    catLabel: Int32Array.from(cat),
  };
}
