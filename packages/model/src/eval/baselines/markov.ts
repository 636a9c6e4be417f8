import type { EvalCase } from '../../data/split.js';
import type { Sequence } from '../../data/types.js';
import type { Scorer } from '../evaluate.js';
import { addPopularityFill, popularity, toCsr, type Csr } from './common.js';

/**
 * First-order Markov chain on item transitions: P(next | item) from consecutive training pairs; the last three
 * history items vote with weights 1, 1/2, 1/3; popularity breaks ties and fills items never reached.
 */
export class MarkovScorer implements Scorer {
  readonly name = 'markov';
  private readonly trans: Csr;
  private readonly pop: Float64Array;
  private readonly maxPop: number;
  constructor(train: Sequence[], private readonly numItems: number, private readonly order = 3) {
    const maps: Array<Map<number, number>> = Array.from({ length: numItems + 1 }, () => new Map());
    for (const s of train) for (let t = 1; t < s.items.length; t++) {
      const m = maps[s.items[t - 1]!]!, b = s.items[t]!;
      m.set(b, (m.get(b) ?? 0) + 1);
    }
    this.trans = toCsr(maps.map((m) => {
      let tot = 0;
      for (const v of m.values()) tot += v;
      return [...m].map(([b, v]): [number, number] => [b, v / tot]);
    }));
    this.pop = popularity(train, numItems);
    this.maxPop = Math.max(...this.pop);
  }
  scoreBatch(cases: EvalCase[], out: Float32Array): void {
    const w = this.numItems + 1;
    cases.forEach((c, i) => {
      const row = out.subarray(i * w, (i + 1) * w);
      row.fill(0);
      for (let k = 0; k < this.order && k < c.prefixLen; k++) {
        const a = c.seq.items[c.prefixLen - 1 - k]!;
        for (let p = this.trans.offsets[a]!; p < this.trans.offsets[a + 1]!; p++) row[this.trans.cols[p]!]! += this.trans.vals[p]! / (k + 1);
      }
      addPopularityFill(row, this.pop, this.maxPop, 1e-6);
    });
  }
}
