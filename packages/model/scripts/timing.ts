/** Median ms per call over `rounds` rounds of calls lasting ≥ `minMs` each (after a warm-up round). */
export function time(fn: () => void, rounds = 7, minMs = 60): number {
  const perCall: number[] = [];
  for (let r = -1; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    do { fn(); n++; t = performance.now(); } while (t - t0 < minMs);
    if (r >= 0) perCall.push((t - t0) / n);
  }
  perCall.sort((a, b) => a - b);
  return perCall[rounds >> 1]!;
}
