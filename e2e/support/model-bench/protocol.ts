// Messages between the benchmark page and its worker (shared by the worker bundle, the bench and the spec).
import type { ModelDims } from '@perch/model/spec';

export type BenchBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu' | 'plain';

export interface BenchRequest {
  backend: BenchBackend;
  dims: ModelDims;
  seed: number;
  /** Timed step + score(200) runs (after `warmup` untimed ones); 0 skips the metric. */
  stepRuns: number;
  warmup: number;
  forwardRuns: number;
  trainRuns: number;
  /** Histories of 50 events whose top-10 is compared with the plain implementation. */
  agreementCases: number;
  /** Per-metric wall-clock budget: slow backends (SwiftShader) stop early, with the run count reported. */
  budgetMs: number;
}

export interface BenchResult {
  backend: BenchBackend;
  /** What selectBackend measured (tfjs backends only). */
  probe?: { initMs?: number; maxError?: number; probeMs?: number };
  metrics: Record<string, { value: number; unit: string; runs?: number }>;
  agreement?: { cases: number; agreeing: number; exact: number; maxScoreDiff: number; details: string[] };
}

export type WorkerReply = { ok: true; result: BenchResult } | { ok: false; error: string };
