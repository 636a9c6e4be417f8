// Benchmark worker: runs one backend (or the plain floor) on identical deterministic data and replies with
// figures and the top-10 agreement with the plain implementation. Training is timed on the plain floor only:
// the plain kernels are what trains on a device (federated local training) and in the trainer.
import { selectBackend } from '@perch/model/backend';
import { createModel } from '@perch/model/tfjs';
import type { BenchRequest, BenchResult, WorkerReply } from '../protocol.js';
import { plainFloor, type PlainFloor } from './plain-floor.js';
import { makeBenchData, summarize, timeRuns, type BenchData } from './setup.js';

self.onmessage = async (e: MessageEvent<BenchRequest>) => {
  let reply: WorkerReply;
  try {
    reply = { ok: true, result: await run(e.data) };
  } catch (err) {
    reply = { ok: false, error: String((err as Error).stack ?? err) };
  }
  (self as unknown as Worker).postMessage(reply);
};

async function run(req: BenchRequest): Promise<BenchResult> {
  const data = makeBenchData(req.dims, req.seed);
  const floor = plainFloor(req.dims, data);
  return req.backend === 'plain' ? runPlain(req, data, floor) : runTf(req, data, floor);
}

function timed(metrics: BenchResult['metrics'], name: string, times: number[], p95 = false): void {
  if (times.length === 0) return;
  const s = summarize(times);
  metrics[`${name}_median_ms`] = { value: round(s.median), unit: 'ms', runs: times.length };
  if (p95) metrics[`${name}_p95_ms`] = { value: round(s.p95), unit: 'ms', runs: times.length };
}

async function runPlain(req: BenchRequest, d: BenchData, floor: PlainFloor): Promise<BenchResult> {
  const metrics: BenchResult['metrics'] = {};
  let h = floor.model.initialState();
  timed(metrics, 'step_score200', await timeRuns((i) => {
    h = floor.model.step(h, d.events[i % d.events.length]!);
    return floor.model.score(h, d.candidates[i % d.candidates.length]!);
  }, req.stepRuns, req.warmup, req.budgetMs), true);
  timed(metrics, 'forward50', await timeRuns((i) => floor.forward(d.histories[i % d.histories.length]!), req.forwardRuns, 3, req.budgetMs));
  const train = await timeRuns(() => floor.trainStep(), req.trainRuns, 1, req.budgetMs);
  if (train.length) metrics.train_step_ms = { value: round(summarize(train).median), unit: 'ms', runs: train.length };
  return { backend: 'plain', metrics };
}

async function runTf(req: BenchRequest, d: BenchData, floor: PlainFloor): Promise<BenchResult> {
  const backend = req.backend as Exclude<BenchRequest['backend'], 'plain'>;
  const choice = await selectBackend({ force: backend, strict: true, wasmPaths: new URL('/wasm/', self.location.origin).href });
  const probe = choice.probes[0];
  const model = createModel(req.dims, d.weights, d.itemAttrs);
  const metrics: BenchResult['metrics'] = {};
  const agreement = await agree(req, d, floor, model);

  let s = model.initialState();
  timed(metrics, 'step_score200', await timeRuns(async (i) => {
    s = await model.step(s, d.events[i % d.events.length]!);
    return model.score(s, Array.from(d.candidates[i % d.candidates.length]!));
  }, req.stepRuns, req.warmup, req.budgetMs), true);
  timed(metrics, 'forward50', await timeRuns((i) => model.forward(d.histories[i % d.histories.length]!), req.forwardRuns, 3, req.budgetMs));
  model.dispose();
  return { backend, probe: { initMs: probe?.initMs, maxError: probe?.maxError, probeMs: probe?.probeMs }, metrics, agreement };
}

/**
 * Same top-10 as the plain implementation: at every rank the item is the plain one, or (a float tie) its plain
 * score equals the plain score at that rank within 1e-4 relative. Scores are compared item by item too.
 */
async function agree(req: BenchRequest, d: BenchData, floor: PlainFloor, model: ReturnType<typeof createModel>): Promise<BenchResult['agreement']> {
  let agreeing = 0, exact = 0, maxScoreDiff = 0;
  const details: string[] = [];
  for (let c = 0; c < req.agreementCases; c++) {
    const hist = d.histories[c % d.histories.length]!;
    const exclude = hist.map((e) => e.item);
    const { state } = await model.forward(hist);
    const tfTop = await model.topK(state, 10, exclude);
    const h = floor.forward(hist);
    const ref = floor.topK(h, 10, exclude);
    const plainOfTf = floor.model.score(h, tfTop.items);
    let ok = tfTop.items.length === 10;
    for (let r = 0; r < 10; r++) {
      const same = tfTop.items[r] === ref.items[r];
      const tie = Math.abs(plainOfTf[r]! - ref.scores[r]!) <= 1e-4 * Math.max(1, Math.abs(ref.scores[r]!));
      if (!same && !tie) ok = false;
      maxScoreDiff = Math.max(maxScoreDiff, Math.abs(tfTop.scores[r]! - plainOfTf[r]!));
    }
    if (ok) agreeing++;
    else details.push(`case ${c}: tfjs ${Array.from(tfTop.items).join(',')} vs plain ${ref.items.join(',')}`);
    if (Array.from(tfTop.items).join() === ref.items.join()) exact++;
  }
  return { cases: req.agreementCases, agreeing, exact, maxScoreDiff, details };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
