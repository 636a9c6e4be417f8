// Deterministic inputs of the benchmark: random weights of the real size, attributes, histories, candidate
// lists and a training batch, all derived from one seed so every backend sees identical data.
import type { ModelDims, Weights } from '@perch/model/spec';
import { Rng } from '@perch/model/rng';
import { randomItemAttrs, randomWeights } from '@perch/model/testing';
import type { ModelEvent } from '@perch/model/tfjs';

export interface BenchData {
  weights: Weights;
  itemAttrs: number[][];
  /** Histories of 50 events. */
  histories: ModelEvent[][];
  /** Candidate lists of 200 item rows. */
  candidates: Int32Array[];
  /** Single events fed to `step`. */
  events: ModelEvent[];
  /** 32 training sequences of 5..50 events. */
  batch: { items: Int32Array; kinds: Uint8Array; gaps: Uint8Array }[];
  /** Item counts (Zipf-like), row 0 = 0. */
  counts: Float64Array;
}

export function makeBenchData(dims: ModelDims, seed: number): BenchData {
  const r = new Rng(seed);
  const rnd = (): number => r.next();
  const item = () => 1 + Math.floor(rnd() * dims.numItems);
  const ev = (): ModelEvent => ({ item: item(), kind: Math.floor(rnd() * 8), gap: Math.floor(rnd() * 9) });
  const histories = Array.from({ length: 16 }, () => Array.from({ length: 50 }, ev));
  const candidates = Array.from({ length: 64 }, () => Int32Array.from({ length: 200 }, item));
  const events = Array.from({ length: 256 }, ev);
  const batch = Array.from({ length: 32 }, () => {
    const n = 5 + Math.floor(rnd() * 46);
    const es = Array.from({ length: n }, ev);
    return { items: Int32Array.from(es, (e) => e.item), kinds: Uint8Array.from(es, (e) => e.kind), gaps: Uint8Array.from(es, (e) => e.gap) };
  });
  const counts = Float64Array.from({ length: dims.numItems + 1 }, (_, i) => (i === 0 ? 0 : Math.floor(1000 / i)));
  // ±0.1 keeps the GRU out of saturation with d = 64, so scores spread like a trained model's, not in ties.
  return { weights: randomWeights(dims, seed, 0.1), itemAttrs: randomItemAttrs(dims, seed + 1, 6), histories, candidates, events, batch, counts };
}

/** Median and p95 of durations (ms). */
export function summarize(times: number[]): { median: number; p95: number } {
  const s = times.slice().sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  return { median: at(0.5), p95: at(0.95) };
}

/** Repeats `fn` `runs` times after `warmup` calls, stopping early past `budgetMs`; returns the timed durations. */
export async function timeRuns(fn: (i: number) => unknown, runs: number, warmup: number, budgetMs: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(warmup + i);
    times.push(performance.now() - t0);
    if (performance.now() - start > budgetMs) break; // slow backends: fewer runs, the count is reported
  }
  return times;
}
