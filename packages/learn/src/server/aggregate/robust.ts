/**
 * Byzantine-robust coordinate-wise rules (Yin et al. 2018): the median, and the β-trimmed mean (drop the
 * ⌊βn⌋ largest and smallest values of each coordinate, average the rest). Both need every client's value
 * of a coordinate, so they read the source once per column chunk and keep only n × chunk values: memory is
 * bounded by `maxValues` (default 4M floats = 16 MB) at the price of ⌈size / chunk⌉ passes. Unweighted.
 */
import type { AggregateResult, DeltaSource } from './types.js';

export interface RobustOptions {
  /** Upper bound on values held at once (n × chunk). */
  maxValues?: number;
}

async function countSource(source: DeltaSource, size: number): Promise<number> {
  let n = 0;
  for await (const { delta } of source()) {
    if (delta.length !== size) throw new RangeError(`robust aggregation: delta has ${delta.length} values, expected ${size}`);
    n++;
  }
  return n;
}

/** Applies `reduce` to the sorted column of every coordinate, chunk by chunk. */
async function byColumns(source: DeltaSource, size: number, reduce: (sorted: Float32Array) => number, o: RobustOptions): Promise<AggregateResult> {
  const n = await countSource(source, size);
  const delta = new Float32Array(size);
  if (n === 0) return { delta, count: 0, totalWeight: 0 };
  const chunk = Math.max(1, Math.min(size, Math.floor((o.maxValues ?? 4_000_000) / n)));
  const block = new Float32Array(n * chunk);
  const column = new Float32Array(n);
  for (let start = 0; start < size; start += chunk) {
    const width = Math.min(chunk, size - start);
    let r = 0;
    for await (const { delta: d } of source()) {
      if (r >= n) throw new Error('robust aggregation: the source grew between passes');
      block.set(d.subarray(start, start + width), r * chunk);
      r++;
    }
    if (r !== n) throw new Error('robust aggregation: the source changed between passes');
    for (let j = 0; j < width; j++) {
      for (let i = 0; i < n; i++) column[i] = block[i * chunk + j]!;
      column.sort();
      delta[start + j] = reduce(column);
    }
  }
  return { delta, count: n, totalWeight: n };
}

/** Coordinate-wise median (mean of the two middle values for even n). */
export function coordinateMedian(source: DeltaSource, size: number, o: RobustOptions = {}): Promise<AggregateResult> {
  return byColumns(source, size, (s) => {
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  }, o);
}

/** Coordinate-wise β-trimmed mean, 0 ≤ β < 0.5. With β = 0 it is the plain mean. */
export async function trimmedMean(source: DeltaSource, size: number, beta: number, o: RobustOptions = {}): Promise<AggregateResult> {
  if (!(beta >= 0 && beta < 0.5)) throw new RangeError(`trimmedMean: beta must be in [0, 0.5), got ${beta}`);
  return byColumns(source, size, (s) => {
    const k = Math.floor(beta * s.length);
    let sum = 0;
    for (let i = k; i < s.length - k; i++) sum += s[i]!;
    return sum / (s.length - 2 * k);
  }, o);
}
