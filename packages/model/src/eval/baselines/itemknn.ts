import type { EvalCase } from '../../data/split.js';
import type { Sequence } from '../../data/types.js';
import type { Scorer } from '../evaluate.js';
import { addPopularityFill, invertedIndex, popularity, toCsr, type Csr } from './common.js';

/**
 * Item-kNN: cosine similarity of items' co-occurrence in training sequences, co(i,j) / sqrt(n_i n_j),
 * keeping the `neighbours` most similar items per item. A history item at distance d from the end votes
 * with weight 1 / (d + 1), so recent items dominate; popularity fills the rest.
 */
export class ItemKnnScorer implements Scorer {
  readonly name = 'itemknn';
  private readonly sim: Csr;
  private readonly pop: Float64Array;
  private readonly maxPop: number;
  constructor(train: Sequence[], private readonly numItems: number, neighbours = 100) {
    const inv = invertedIndex(train, numItems);
    const n = new Float64Array(numItems + 1);
    for (let i = 1; i <= numItems; i++) n[i] = inv.offsets[i + 1]! - inv.offsets[i]!;
    const sets = train.map((s) => Int32Array.from(new Set(s.items)));
    const co = new Float64Array(numItems + 1);
    const touched: number[] = [];
    const rows: Array<Array<[number, number]>> = [[]];
    for (let i = 1; i <= numItems; i++) {
      for (let p = inv.offsets[i]!; p < inv.offsets[i + 1]!; p++) {
        for (const j of sets[inv.seqs[p]!]!) {
          if (j === i) continue;
          if (co[j] === 0) touched.push(j);
          co[j]!++;
        }
      }
      const cand = touched.map((j): [number, number] => [j, co[j]! / Math.sqrt(n[i]! * n[j]!)]);
      for (const j of touched) co[j] = 0;
      touched.length = 0;
      cand.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      rows.push(cand.slice(0, neighbours));
    }
    this.sim = toCsr(rows);
    this.pop = popularity(train, numItems);
    this.maxPop = Math.max(...this.pop);
  }
  scoreBatch(cases: EvalCase[], out: Float32Array): void {
    const w = this.numItems + 1;
    cases.forEach((c, i) => {
      const row = out.subarray(i * w, (i + 1) * w);
      row.fill(0);
      for (let d = 0; d < c.prefixLen; d++) {
        const a = c.seq.items[c.prefixLen - 1 - d]!;
        const wt = 1 / (d + 1);
        for (let p = this.sim.offsets[a]!; p < this.sim.offsets[a + 1]!; p++) row[this.sim.cols[p]!]! += wt * this.sim.vals[p]!;
      }
      addPopularityFill(row, this.pop, this.maxPop, 1e-6);
    });
  }
}
