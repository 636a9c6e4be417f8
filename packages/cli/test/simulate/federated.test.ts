import { describe, expect, it } from 'vitest';
import { evaluate } from '@perch/model/eval';
import { PlainModel, ModelScorer } from '@perch/model/plain';
import type { Sequence } from '@perch/model/data';
import { PrivacyAccountant, DeviceAccountant } from '@perch/learn/privacy';
import { HEADER_BYTES, decodeUpdate, encodeUpdate } from '@perch/learn/update';
import { SHARED_DENSE_WEIGHTS } from '@perch/model/spec';
import { runFederated, type FederatedOptions } from '../../src/simulate/federated.js';
import { epsilonAfter, noiseForBudget } from '../../src/simulate/privacy.js';
import { cloneWeights } from '../../src/simulate/weights.js';
import { RECIPE, setup } from './synthetic.js';

const BASE: FederatedOptions = {
  rounds: 6, q: 0.5, clip: 1, z: 0, noise: 'off', delta: 1e-6, epsilonBudget: 8, rule: 'fedavg',
  optimizer: { kind: 'sgd', learningRate: 1 }, maxClientWeight: 32, evalEvery: 3, seed: 4,
};

describe('federated simulation on a synthetic shop', () => {
  it('improves over the start with DP off, changing only the shared dense weights', async () => {
    const s = setup({ ...RECIPE, epochs: 3, learningRate: 1 });
    const before = cloneWeights(s.global);
    const startM = evaluate(new ModelScorer(new PlainModel(s.dims, before, s.attrs), 50), s.ctx.test, s.dims.numItems);
    const { logs } = await runFederated(s.ctx, s.global, s.trainer, { ...BASE, rounds: 12 });
    const end = logs[logs.length - 1]!.test!;
    expect(end['NDCG@20']! - startM['NDCG@20']!).toBeGreaterThan(0.1);
    expect(end['HR@5']!).toBeGreaterThan(startM['HR@5']! + 0.15);
    for (const k of ['item_emb', 'attr_emb', 'item_bias']) expect(s.global[k]).toEqual(before[k]); // never uploaded, never changed
    expect(SHARED_DENSE_WEIGHTS.some((k) => s.global[k]!.some((v, i) => v !== before[k]![i]))).toBe(true);
  });

  it('is deterministic for a seed', async () => {
    const a = setup(), b = setup();
    await runFederated(a.ctx, a.global, a.trainer, { ...BASE, rounds: 2, noise: 'local', z: 5 });
    await runFederated(b.ctx, b.global, b.trainer, { ...BASE, rounds: 2, noise: 'local', z: 5 });
    expect(a.global.gru_wh).toEqual(b.global.gru_wh);
    expect(a.global.gru_wh).not.toEqual(setup().global.gru_wh); // the rounds did move the model
  });

  it('local noise: each device\'s ε is the device accountant\'s for its own uploads; the largest is reported, against the aggregator too', async () => {
    const s = setup();
    const o = { ...BASE, rounds: 3, q: 0.3, z: 3, noise: 'local' as const, evalEvery: 10, delta: 1e-10, epsilonBudget: 100 };
    const perDevice = new Map<Sequence, number>();
    const r = await runFederated(s.ctx, s.global, s.trainer, o, undefined, (_, seq) => perDevice.set(seq, (perDevice.get(seq) ?? 0) + 1));
    const most = Math.max(...perDevice.values());
    const acc = new DeviceAccountant({ epsilonBudget: 100, delta: 1e-10 });
    for (let i = 0; i < most; i++) acc.recordUpload(3, 0);
    expect(r.epsilonServer).toBe(acc.epsilonServer());
    expect(r.epsilon).toBe(r.epsilonServer); // no central noise: the published-model figure is the same
  });

  it('central noise: the amplified ε of the sampled Gaussian for observers of published models, none against the aggregator', async () => {
    const s = setup();
    const o = { ...BASE, rounds: 3, q: 0.3, z: 1.3, noise: 'central' as const, evalEvery: 10 };
    const r = await runFederated(s.ctx, s.global, s.trainer, o);
    const acc = new PrivacyAccountant({ delta: o.delta });
    acc.record(o.q, o.z, 3);
    expect(r.epsilon).toBe(acc.spent().epsilon);
    expect(r.epsilonServer).toBeNull();
    expect(r.logs.map((l) => l.epsilon)).toEqual([1, 2, 3].map((n) => epsilonAfter(o.q, o.z, n, o.delta)));
  });

  it('local noise: a device stops once its next upload would pass its budget; the others go on', async () => {
    const s = setup();
    const o = { ...BASE, rounds: 20, q: 0.9, z: 6, noise: 'local' as const, epsilonBudget: 4, delta: 1e-10, evalEvery: 100 };
    const perDevice = new Map<Sequence, number>();
    const r = await runFederated(s.ctx, s.global, s.trainer, o, undefined, (_, seq) => perDevice.set(seq, (perDevice.get(seq) ?? 0) + 1));
    const acc = new DeviceAccountant({ epsilonBudget: 4, delta: 1e-10 });
    let allowed = 0;
    while (acc.canUpload(6)) { acc.recordUpload(6, 0); allowed++; }
    expect(allowed).toBeGreaterThan(1);
    expect(Math.max(...perDevice.values())).toBe(allowed);
    expect(r.epsilonServer!).toBeLessThanOrEqual(4);
    expect(r.logs.length).toBe(20);
    expect(r.logs.at(-1)!.clients).toBe(0); // every device spent its budget long before round 20
  });

  it('refuses a local-noise run whose single upload costs more than the per-round cap', async () => {
    const s = setup();
    await expect(runFederated(s.ctx, s.global, s.trainer, { ...BASE, rounds: 1, noise: 'local', z: 1, delta: 1e-10, epsilonPerRound: 3 })).rejects.toThrow(/per round/);
  });

  it('central noise stops its rounds when the ε budget would be overshot, and calibrates z to the budget', async () => {
    const s = setup();
    const o = { ...BASE, rounds: 50, q: 0.5, z: 1, noise: 'central' as const, epsilonBudget: 4, evalEvery: 100 };
    const r = await runFederated(s.ctx, s.global, s.trainer, o);
    expect(r.logs.length).toBeLessThan(50);
    expect(r.epsilon!).toBeLessThanOrEqual(4);
    expect(epsilonAfter(o.q, o.z, r.logs.length + 1, o.delta)).toBeGreaterThan(4);
    const z = noiseForBudget(0.05, 40, 8, 1e-6);
    expect(epsilonAfter(0.05, z, 40, 1e-6)).toBeLessThanOrEqual(8);
    expect(epsilonAfter(0.05, z * 0.98, 40, 1e-6)).toBeGreaterThan(8);
  });

  it('reports bytes per client round equal to the encoded payload size', async () => {
    const s = setup();
    const sizes: number[] = [];
    const r = await runFederated(s.ctx, s.global, s.trainer, { ...BASE, rounds: 2, noise: 'local', z: 5 }, undefined, (b) => sizes.push(b.length));
    expect(sizes.length).toBe(r.logs.reduce((a, l) => a + l.clients, 0));
    expect(new Set(sizes)).toEqual(new Set([r.bytesPerClient]));
    expect(r.bytesPerClient).toBe(HEADER_BYTES + 4 * SHARED_DENSE_WEIGHTS.length + s.layout.size);
    for (const l of r.logs) expect(l.bytesPerClient).toBe(r.bytesPerClient);
  });
});

describe('noise placement', () => {
  it('central mode uploads clipped deltas without noise (norm ≤ C up to int8 rounding)', async () => {
    const { decodeUpdate } = await import('@perch/learn/update');
    const { updateDelta } = await import('@perch/learn/client');
    const s = setup();
    const norms: number[] = [];
    await runFederated(s.ctx, s.global, s.trainer, { ...BASE, rounds: 1, noise: 'central', z: 1, clip: 0.01 }, undefined, (b) => {
      const d = decodeUpdate(b, { layout: s.layout });
      if (d.ok) norms.push(Math.hypot(...updateDelta(d.update, s.layout)));
    });
    expect(norms.length).toBeGreaterThan(10);
    for (const n of norms) expect(n).toBeLessThan(0.01 * 1.05);
  });
});
