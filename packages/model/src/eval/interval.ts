/** The mean of a metric over seeds and its two-sided 95 % confidence interval (Student's t, n − 1 degrees of freedom). */
export interface Interval {
  mean: number;
  /** Half-width of the interval: mean ± half (0 for a single value: no interval). */
  half: number;
  lo: number;
  hi: number;
  n: number;
  /** Sample standard deviation (0 for a single value). */
  sd: number;
}

// t_{0.975, df} for df = 1..30 (standard tables); beyond 30 the Cornish–Fisher expansion below is within 1e-4.
const T975 = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281, 2.201, 2.1788, 2.1604,
  2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.093, 2.086, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518,
  2.0484, 2.0452, 2.0423];

/** The 97.5 % quantile of Student's t with `df` ≥ 1 degrees of freedom. */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be an integer ≥ 1, got ${df}`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = 1.959964, z3 = z ** 3, z5 = z ** 5;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df);
}

/** Mean and 95 % t-interval of `values` (one per seed). Throws on an empty list or a non-finite value. */
export function meanInterval(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) throw new RangeError('no values');
  if (!values.every(Number.isFinite)) throw new RangeError(`non-finite value in ${values.join(', ')}`);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, half: 0, lo: mean, hi: mean, n, sd: 0 };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean, half, lo: mean - half, hi: mean + half, n, sd };
}
