import type { EvalCase } from '../../data/split.js';
import type { Sequence } from '../../data/types.js';
import type { Scorer } from '../evaluate.js';
import { popularity } from './common.js';

/** Most-popular items in the training data, the same list for everyone. */
export class PopScorer implements Scorer {
  readonly name = 'pop';
  private readonly pop: Float32Array;
  constructor(train: Sequence[], numItems: number) { this.pop = Float32Array.from(popularity(train, numItems)); }
  scoreBatch(cases: EvalCase[], out: Float32Array): void {
    cases.forEach((_, i) => out.set(this.pop, i * this.pop.length));
  }
}
