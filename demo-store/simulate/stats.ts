/** Interval estimates for the simulator: Wilson score intervals for rates, a paired bootstrap for lifts. */
import { hash32 } from '../src/catalog/names.js';
import { Rng } from '@perch/model/rng';

/** Wilson score interval (95 % by default) for k successes in n trials. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

/** One shopper's totals: impressions, and successes (or expected successes) under the default and Perch's order. */
export interface Paired { n: number; a: number; b: number }

/** The repository's seeded generator (@perch/model/rng), keyed by a hash of the seed, so the bootstrap is reproducible. */
export function rng(seed: number): () => number {
  const r = new Rng(hash32(`bootstrap:${seed}`));
  return () => r.next();
}

/**
 * Percentile bootstrap over shoppers (the unit that was sampled) of rate(b) − rate(a): each replicate draws
 * shoppers with replacement and keeps their impressions paired, so both arms see the same resample.
 */
export function pairedBootstrap(rows: readonly Paired[], reps = 2000, seed = 1, level = 0.95): [number, number] {
  if (!rows.length) return [0, 0];
  const next = rng(seed);
  const diffs: number[] = [];
  for (let r = 0; r < reps; r++) {
    let n = 0;
    let a = 0;
    let b = 0;
    for (let i = 0; i < rows.length; i++) {
      const x = rows[Math.floor(next() * rows.length)] as Paired;
      n += x.n;
      a += x.a;
      b += x.b;
    }
    diffs.push(n ? (b - a) / n : 0);
  }
  diffs.sort((x, y) => x - y);
  const q = (f: number) => diffs[Math.min(diffs.length - 1, Math.max(0, Math.floor(f * diffs.length)))] as number;
  return [q((1 - level) / 2), q(1 - (1 - level) / 2)];
}
