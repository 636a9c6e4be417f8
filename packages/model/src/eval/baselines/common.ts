import type { Sequence } from '../../data/types.js';

/** Training-item popularity (occurrences), length numItems + 1. */
export function popularity(train: readonly Sequence[], numItems: number): Float64Array {
  const c = new Float64Array(numItems + 1);
  for (const s of train) for (const i of s.items) c[i]!++;
  return c;
}

/** Adds a popularity tie-breaker small enough never to reorder items with different base scores. */
export function addPopularityFill(row: Float32Array, pop: Float64Array, maxPop: number, eps: number): void {
  const scale = eps / Math.max(1, maxPop);
  for (let j = 1; j < row.length; j++) row[j] = row[j]! + pop[j]! * scale;
}

/** Sparse row matrix (CSR) built from per-row maps. */
export interface Csr {
  offsets: Int32Array;
  cols: Int32Array;
  vals: Float32Array;
}

/** Builds a CSR matrix from rows of [col, value] pairs. */
export function toCsr(rows: Array<Array<[number, number]>>): Csr {
  const offsets = new Int32Array(rows.length + 1);
  let n = 0;
  rows.forEach((r, i) => { offsets[i] = n; n += r.length; });
  offsets[rows.length] = n;
  const cols = new Int32Array(n), vals = new Float32Array(n);
  let k = 0;
  for (const r of rows) for (const [c, v] of r) { cols[k] = c; vals[k++] = v; }
  return { offsets, cols, vals };
}

/** Inverted index item → training sequence indices (each sequence listed once per distinct item). */
export function invertedIndex(train: Sequence[], numItems: number): { offsets: Int32Array; seqs: Int32Array; sizes: Int32Array } {
  const sets = train.map((s) => Int32Array.from(new Set(s.items)));
  const counts = new Int32Array(numItems + 2);
  for (const set of sets) for (const i of set) counts[i + 1]!++;
  for (let i = 1; i < counts.length; i++) counts[i]! += counts[i - 1]!;
  const offsets = counts.slice(0, numItems + 2);
  const fill = offsets.slice();
  const seqs = new Int32Array(offsets[numItems + 1]!);
  sets.forEach((set, si) => { for (const i of set) seqs[fill[i]!++] = si; });
  return { offsets, seqs, sizes: Int32Array.from(sets, (s) => s.length) };
}
