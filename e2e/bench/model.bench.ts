// `pnpm bench model`: the Perch GRU model inside a Chromium web worker, per tfjs backend (webgpu, webgl, wasm,
// cpu) and for the plain-TypeScript floor, on random weights of the real size (Amazon Beauty: 12,101 items,
// 637 attributes; d and h of the trainer's defaults). Here WebGPU and WebGL run on SwiftShader (software):
// correct but slow, not what a shopper's GPU would do.
import { DEFAULTS } from '@perch/model/plain';
import type { ModelDims } from '@perch/model/spec';
import type { BenchBackend, BenchRequest } from '../support/model-bench/protocol.js';
import { runInWorker } from '../support/model-bench/run.js';
import { openBenchSession } from '../support/model-bench/session.js';

const dims: ModelDims = {
  numItems: 12101,
  numAttrs: 637,
  numCategories: 40,
  dim: Number(process.env.PERCH_BENCH_DIM ?? DEFAULTS.dim),
  hidden: Number(process.env.PERCH_BENCH_HIDDEN ?? DEFAULTS.hidden),
};
const ALL: BenchBackend[] = ['plain', 'cpu', 'wasm', 'webgl', 'webgpu'];
// PERCH_BENCH_BACKENDS=plain,wasm limits the run (the GPU backends on SwiftShader take minutes).
const BACKENDS = process.env.PERCH_BENCH_BACKENDS ? ALL.filter((b) => process.env.PERCH_BENCH_BACKENDS?.split(',').includes(b)) : ALL;
const emit = (backend: string, metric: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ bench: 'model', backend, metric, value, unit, ...extra }));

const session = await openBenchSession();
console.error(`model bench: V=${dims.numItems} A=${dims.numAttrs} d=${dims.dim} h=${dims.hidden}, batch 32 sequences, ${DEFAULTS.negatives} sampled negatives`);
try {
  for (const backend of BACKENDS) {
    const req: BenchRequest = { backend, dims, seed: 42, stepRuns: 300, warmup: 30, forwardRuns: 60, trainRuns: 10, agreementCases: 8, budgetMs: 20_000 };
    try {
      const t0 = Date.now();
      const r = await runInWorker(session.page, req);
      console.error(`${backend}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s${r.probe ? `, probe ${JSON.stringify(r.probe)}` : ''}`);
      for (const [metric, m] of Object.entries(r.metrics)) emit(backend, metric, m.value, m.unit, m.runs !== undefined ? { runs: m.runs } : {});
      if (r.agreement) {
        const a = r.agreement;
        emit(backend, 'top10_agrees', a.agreeing === a.cases ? 1 : 0, 'bool', { cases: a.cases, agreeing: a.agreeing, exact: a.exact });
        emit(backend, 'top10_max_score_diff', a.maxScoreDiff, 'score');
        for (const dline of a.details) console.error(`${backend}: ${dline}`);
      }
    } catch (e) {
      // A backend that does not initialise here is reported, not fatal: the others still run.
      console.error(`${backend}: not measured: ${(e as Error).message.split('\n')[0]}`);
      emit(backend, 'initialised', 0, 'bool');
    }
  }
} finally {
  await session.close();
}
