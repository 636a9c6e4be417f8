/**
 * The server optimiser: the step rules on hand-checkable deltas, and FedAdam in the aggregator, whose state is
 * stored with each published version (never in its files) and survives a restart: the second round's step
 * after a restart is the one that depends on the first round's moments, not a fresh start's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { updateDelta, DEFAULT_RECIPE } from '@perch/learn/client';
import { loadExport } from '@perch/model/export';
import { buildApp } from '../src/app.js';
import { initialState, isStateful, serverStep, stateFromTensors, stateTensors, STATE_TENSORS, type ServerOptimizer } from '@perch/learn/server';
import { layoutOf, post, roundInfo, tempDir, testConfig, updateFor, waitFor } from './helper.js';

describe('serverStep', () => {
  const d = Float32Array.from([0.5, -0.25, 0, 2]);
  it('sgd: η·Δ without momentum (FedAvg), η·(βm + Δ) with it (FedAvgM)', () => {
    const plain: ServerOptimizer = { kind: 'sgd', learningRate: 2 };
    expect(Array.from(serverStep(d, initialState(plain, 4), plain).step)).toEqual([1, -0.5, 0, 4]);
    const mom: ServerOptimizer = { kind: 'sgd', learningRate: 1, momentum: 0.5 };
    const s1 = serverStep(d, initialState(mom, 4), mom);
    expect(Array.from(serverStep(d, s1.state, mom).step)).toEqual([0.75, -0.375, 0, 3]);
  });
  it('adam: bias-corrected steps are η·sign(Δ) for a constant Δ; a reversed Δ after one round moves less, the old way', () => {
    const o: ServerOptimizer = { kind: 'adam', learningRate: 0.01, tau: 1e-9, biasCorrection: true };
    let s = initialState(o, 4);
    for (let r = 0; r < 3; r++) {
      const x = serverStep(d, s, o);
      s = x.state;
      expect(Array.from(x.step).map((v) => Number(v.toFixed(6)))).toEqual([0.01, -0.01, 0, 0.01]);
    }
    expect(s.t).toBe(3);
    // One round of Δ, then −Δ/2: m̂ = 0.04Δ/0.19, v̂ = 0.0124Δ²/0.0199 → step = +0.2667·η·sign(Δ).
    const one = serverStep(d, initialState(o, 4), o).state;
    const back = serverStep(d.map((v) => -v / 2), one, o).step;
    expect(back[0]).toBeCloseTo(0.01 * (0.04 / 0.19) / Math.sqrt(0.0124 / 0.0199), 6);
  });
  it('warm-up ramps η linearly over the first rounds, then holds it', () => {
    const o: ServerOptimizer = { kind: 'sgd', learningRate: 1, warmupRounds: 4 };
    let s = initialState(o, 4);
    const firsts: number[] = [];
    for (let r = 0; r < 6; r++) { const x = serverStep(d, s, o); s = x.state; firsts.push(x.step[0]!); }
    expect(firsts).toEqual([0.125, 0.25, 0.375, 0.5, 0.5, 0.5]);
  });
  it('decay lowers η linearly to 10 % over its rounds, then holds it; it needs state even for plain FedAvg', () => {
    const o: ServerOptimizer = { kind: 'sgd', learningRate: 1, decayRounds: 3 };
    let s = initialState(o, 4);
    const firsts: number[] = [];
    for (let r = 0; r < 5; r++) { const x = serverStep(d, s, o); s = x.state; firsts.push(x.step[0]!); }
    // d[0] = 0.5: factors 1, 0.7, 0.4, 0.1, 0.1
    [0.5, 0.35, 0.2, 0.05, 0.05].forEach((v, i) => expect(firsts[i]).toBeCloseTo(v, 6));
    expect(isStateful(o)).toBe(true);
    expect(isStateful({ kind: 'sgd', learningRate: 1 })).toBe(false);
  });
  it('refuses a state of another size; state tensors round-trip and a misfit reads as no state', () => {
    const o: ServerOptimizer = { kind: 'adam', learningRate: 0.01 };
    expect(() => serverStep(d, initialState(o, 3), o)).toThrow(RangeError);
    const s = serverStep(d, initialState(o, 4), o).state;
    expect(stateFromTensors(stateTensors(s), o, 4)).toEqual(s);
    expect(stateFromTensors(stateTensors(s), o, 5)).toBeUndefined();
    expect(stateFromTensors({}, o, 4)).toBeUndefined();
    const sgdState = serverStep(d, initialState({ kind: 'sgd', learningRate: 1, momentum: 0.9 }, 4), { kind: 'sgd', learningRate: 1, momentum: 0.9 }).state;
    expect(stateFromTensors(stateTensors(sgdState), o, 4), 'sgd state has no v: adam starts afresh').toBeUndefined();
  });
});

async function download(app: FastifyInstance): Promise<Record<string, Float32Array>> {
  const manifestBytes = new Uint8Array((await app.inject({ method: 'GET', url: '/v1/model/manifest.json' })).rawPayload);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as { modelVersion: string };
  const read = async (path: string) => new Uint8Array((await app.inject({ method: 'GET', url: `/v1/model/versions/${manifest.modelVersion}/${path}` })).rawPayload);
  return (await loadExport(read, manifestBytes)).weights;
}

/** These tests follow the optimiser on every coordinate: no tensor is frozen by the round's recipe. */
const NOTHING_FROZEN = { ...DEFAULT_RECIPE, frozen: [] };

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => { await cleanup?.(); cleanup = undefined; });

describe('FedAdam in the aggregator', () => {
  it('publishes base + η·m̂/(√v̂ + τ), stores the state with the version (not in its files) and resumes it after a restart', async () => {
    const tmp = tempDir();
    const config = testConfig(tmp.dir, { minClients: 1, targetClients: 1, serverOptimizer: 'adam', serverLearningRate: 0.01, adamTau: 1e-9, adamBiasCorrection: true, local: NOTHING_FROZEN });
    let app = await buildApp({ config });
    cleanup = async () => { await app.close(); tmp.cleanup(); };
    const r1 = await roundInfo(app);
    const layout = layoutOf(r1);
    const v1 = await download(app);
    const u1 = updateFor(r1, { seed: 4, examples: 1 });
    expect((await post(app, r1.roundId, u1.bytes)).statusCode).toBe(202);
    await waitFor(async () => (await roundInfo(app)).baseVersion === 2);
    const v2 = await download(app);
    const d1 = updateDelta(u1.payload, layout);
    const at = (w: Record<string, Float32Array>, i: number): number => {
      let ti = 0;
      while (ti + 1 < layout.offsets.length && layout.offsets[ti + 1]! <= i) ti++;
      return w[layout.tensors[ti]!.name]![i - layout.offsets[ti]!]!;
    };
    const probe = [0, 1, 2, 3, layout.size - 1].filter((i) => d1[i] !== 0);
    for (const i of probe) expect(at(v2, i) - at(v1, i)).toBeCloseTo(0.01 * Math.sign(d1[i]!), 5);
    expect(Object.keys(v2).some((k) => k.startsWith('server_opt')), 'the state is not in the published files').toBe(false);
    const stored = await app.store.getWeights(2, STATE_TENSORS);
    expect(stored['server_opt.t']![0]).toBe(1);

    // Restart on the same database, then a round whose delta reverses the first: the step follows the stored
    // moments (+0.267·η·sign(Δ₁)), where a fresh start would step −η·sign(Δ₁).
    await app.close();
    app = await buildApp({ config });
    const r2 = await roundInfo(app);
    expect(r2.baseVersion).toBe(2);
    const u2 = updateFor(r2, { seed: 5, examples: 1, delta: d1.map((v) => -v / 2) });
    expect((await post(app, r2.roundId, u2.bytes)).statusCode).toBe(202);
    await waitFor(async () => (await roundInfo(app)).baseVersion === 3);
    const v3 = await download(app);
    const d2 = updateDelta(u2.payload, layout);
    const o: ServerOptimizer = { kind: 'adam', learningRate: 0.01, tau: 1e-9, biasCorrection: true };
    const expected = serverStep(d2, serverStep(d1, initialState(o, layout.size), o).state, o).step;
    for (const i of probe) {
      expect(at(v3, i) - at(v2, i)).toBeCloseTo(expected[i]!, 5);
      expect(Math.sign(at(v3, i) - at(v2, i))).toBe(Math.sign(d1[i]!));
    }
    expect((await app.store.getWeights(3, STATE_TENSORS))['server_opt.t']![0]).toBe(2);
  });

  it('FedAvg with a warm-up ramps η over the published versions (its step count is kept with each version)', async () => {
    const tmp = tempDir();
    const config = testConfig(tmp.dir, { minClients: 1, targetClients: 1, serverOptimizer: 'sgd', serverLearningRate: 1, serverWarmupRounds: 2, local: NOTHING_FROZEN });
    const app = await buildApp({ config });
    cleanup = async () => { await app.close(); tmp.cleanup(); };
    const layout = layoutOf(await roundInfo(app));
    for (const [version, share] of [[2, 0.5], [3, 1]] as const) {
      const r = await roundInfo(app);
      const before = await download(app);
      const u = updateFor(r, { seed: version, examples: 1 });
      expect((await post(app, r.roundId, u.bytes)).statusCode).toBe(202);
      await waitFor(async () => (await roundInfo(app)).baseVersion === version);
      const after = await download(app);
      const d = updateDelta(u.payload, layout);
      const name = layout.tensors[0]!.name;
      for (let i = 0; i < 4; i++) expect(after[name]![i]! - before[name]![i]!).toBeCloseTo(share * d[i]!, 5);
    }
  });
});
