// Every tfjs backend that initialises in Chromium (webgpu and webgl on SwiftShader here, wasm, cpu), inside a
// real worker, ranks the same top-10 as the plain-TypeScript implementation for the same real-size weights.
import { expect, test } from '@playwright/test';
import type { ModelDims } from '@perch/model/spec';
import { buildModelBench } from '../support/model-bench/build.js';
import type { BenchBackend, BenchRequest } from '../support/model-bench/protocol.js';
import { runInWorker } from '../support/model-bench/run.js';
import { startBenchServer, type BenchServer } from '../support/model-bench/server.js';

const dims: ModelDims = { numItems: 12101, numAttrs: 637, numCategories: 40, dim: 64, hidden: 64 };
let server: BenchServer;

test.beforeAll(async () => {
  server = await startBenchServer(await buildModelBench());
});
test.afterAll(async () => {
  await server?.close();
});

for (const backend of ['cpu', 'wasm', 'webgl', 'webgpu'] as BenchBackend[]) {
  test(`${backend}: same top-10 as the plain implementation`, async ({ page }) => {
    test.setTimeout(300_000);
    await page.goto(`${server.origin}/`);
    const req: BenchRequest = { backend, dims, seed: 7, stepRuns: 0, warmup: 0, forwardRuns: 0, trainRuns: 0, agreementCases: 6, budgetMs: 60_000 };
    const r = await runInWorker(page, req);
    expect(r.backend).toBe(backend);
    expect(r.probe?.maxError).toBeLessThan(1e-3);
    const a = r.agreement;
    expect(a?.cases).toBe(6);
    expect(a?.details).toEqual([]);
    expect(a?.agreeing).toBe(6);
    expect(a?.maxScoreDiff).toBeLessThan(1e-3);
  });
}
