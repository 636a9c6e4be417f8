import type { EvalCase } from '../../data/split.js';
import type { Sequence } from '../../data/types.js';
import type { Scorer } from '../evaluate.js';
import { addPopularityFill, invertedIndex, popularity } from './common.js';

/**
 * Session-kNN (Jannach & Ludewig 2017): the k training sequences most similar to the history by cosine of
 * their item sets, |H ∩ S| / sqrt(|H| |S|); an item scores the summed similarity of the neighbours holding it.
 * The case's own training sequence (same key) is never its own neighbour. Popularity fills the rest.
 */
export class SknnScorer implements Scorer {
  readonly name = 'sknn';
  private readonly inv: ReturnType<typeof invertedIndex>;
  private readonly sets: Int32Array[];
  private readonly keys: string[];
  private readonly overlap: Int32Array;
  private readonly pop: Float64Array;
  private readonly maxPop: number;
  constructor(train: Sequence[], private readonly numItems: number, private readonly k = 100) {
    this.inv = invertedIndex(train, numItems);
    this.sets = train.map((s) => Int32Array.from(new Set(s.items)));
    this.keys = train.map((s) => s.key);
    this.overlap = new Int32Array(train.length);
    this.pop = popularity(train, numItems);
    this.maxPop = Math.max(...this.pop);
  }
  scoreBatch(cases: EvalCase[], out: Float32Array): void {
    const w = this.numItems + 1;
    const touched: number[] = [];
    cases.forEach((c, ci) => {
      const row = out.subarray(ci * w, (ci + 1) * w);
      row.fill(0);
      const hist = new Set(c.seq.items.subarray(0, c.prefixLen));
      for (const h of hist) {
        for (let p = this.inv.offsets[h]!; p < this.inv.offsets[h + 1]!; p++) {
          const s = this.inv.seqs[p]!;
          if (this.overlap[s] === 0) touched.push(s);
          this.overlap[s]!++;
        }
      }
      const nb: Array<[number, number]> = [];
      for (const s of touched) {
        if (this.keys[s] !== c.seq.key) nb.push([s, this.overlap[s]! / Math.sqrt(hist.size * this.inv.sizes[s]!)]);
        this.overlap[s] = 0;
      }
      touched.length = 0;
      nb.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      for (const [s, sim] of nb.slice(0, this.k)) for (const j of this.sets[s]!) row[j]! += sim;
      addPopularityFill(row, this.pop, this.maxPop, 1e-6);
    });
  }
}
