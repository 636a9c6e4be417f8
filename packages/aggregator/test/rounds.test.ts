import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { updateDelta, DEFAULT_RECIPE } from '@perch/learn/client';
import { SHARED_DENSE_WEIGHTS } from '@perch/model/spec';
import { layoutOf, post, roundInfo, testApp, updateFor, waitFor } from './helper.js';
import type { Manifest } from '../src/store/types.js';
import { loadExport, type VocabJson } from '@perch/model/export';
import { defaultConfig } from '../src/config.js';

/** A recipe that freezes two tensors: the published version must keep them whatever clients and noise say. */
const FROZEN = { ...DEFAULT_RECIPE, frozen: ['event_emb', 'gap_emb'] };

let close: (() => Promise<void>) | undefined;
afterEach(async () => { await close?.(); close = undefined; });

/** Downloads the current version through HTTP with the verifying export loader (sha256 of every file). */
async function download(app: FastifyInstance): Promise<{ manifest: Manifest; weights: Record<string, Float32Array>; vocab: VocabJson }> {
  const manifestBytes = new Uint8Array((await app.inject({ method: 'GET', url: '/v1/model/manifest.json' })).rawPayload);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as Manifest;
  const read = async (path: string) => new Uint8Array((await app.inject({ method: 'GET', url: `/v1/model/versions/${manifest.modelVersion}/${path}` })).rawPayload);
  const loaded = await loadExport(read, manifestBytes);
  return { manifest, weights: loaded.weights, vocab: loaded.vocab };
}

/**
 * Posts two updates of per-coordinate size 0.4 and 0.8 (÷√size), claiming 1 and 9 examples, waits for version
 * 2 (after `between`) and returns the published step of one coordinate, × √size.
 */
async function twoUpdatesStep(app: FastifyInstance, between?: () => Promise<void>): Promise<number> {
  const r1 = await roundInfo(app);
  const layout = layoutOf(r1);
  const mk = (c: number) => new Float32Array(layout.size).fill(c / Math.sqrt(layout.size));
  const v1 = await download(app);
  expect((await post(app, r1.roundId, updateFor(r1, { seed: 1, delta: mk(0.4), examples: 1 }).bytes)).statusCode).toBe(202);
  expect((await post(app, r1.roundId, updateFor(r1, { seed: 2, delta: mk(0.8), examples: 9 }).bytes)).statusCode).toBe(202);
  await between?.();
  await waitFor(async () => (await roundInfo(app)).baseVersion === 2, 10_000);
  return ((await download(app)).weights.gru_wx![0]! - v1.weights.gru_wx![0]!) * Math.sqrt(layout.size);
}

describe('rounds', () => {
  it('closes at the target, publishes base + weighted FedAvg delta on the shared tensors only, the recipe\'s frozen ones kept', async () => {
    const t = await testApp({ minClients: 3, targetClients: 3, maxClientWeight: 8, local: FROZEN }); close = t.close;
    const r1 = await roundInfo(t.app);
    const v1 = await download(t.app);
    const ups = [updateFor(r1, { seed: 1, examples: 2 }), updateFor(r1, { seed: 2, examples: 5 }), updateFor(r1, { seed: 3, examples: 100 })];
    for (const u of ups) expect((await post(t.app, r1.roundId, u.bytes)).statusCode).toBe(202);
    const r2 = await waitFor(async () => { const i = await roundInfo(t.app); return i.roundId !== r1.roundId && i; });
    expect(r2.baseVersion).toBe(2);
    expect(r2.accepted).toBe(0);
    const v2 = await download(t.app);
    expect(v2.manifest).toMatchObject({ modelVersion: '2', hyperParameters: { federated: { parent: 1, round: r1.roundId, clients: 3, rule: 'fedavg', sharedLayout: r1.layout.hash } } });

    const layout = layoutOf(r1);
    const weights = [2, 5, 8]; // 100 examples capped at maxClientWeight
    const expected = new Float64Array(layout.size);
    ups.forEach((u, k) => updateDelta(u.payload, layout).forEach((x, i) => { expected[i]! += (weights[k]! * x) / 15; }));
    layout.tensors.forEach((tn, ti) => {
      const before = v1.weights[tn.name]!, after = v2.weights[tn.name]!;
      // tensors the round's recipe freezes keep their value whatever a client sent for them
      if (FROZEN.frozen.includes(tn.name)) return expect(after).toEqual(before);
      for (let i = 0; i < before.length; i++) expect(after[i]! - before[i]!).toBeCloseTo(expected[layout.offsets[ti]! + i]!, 5);
    });
    for (const name of Object.keys(v1.weights).filter((n) => !(SHARED_DENSE_WEIGHTS as readonly string[]).includes(n))) {
      expect(v2.weights[name]).toEqual(v1.weights[name]); // item/attr embeddings and item_bias untouched
    }
    expect(v2.vocab).toEqual(v1.vocab); // the vocabulary, item counts included, carries over
    expect(v1.vocab.itemCounts?.length).toBe(v1.vocab.items.length);
    // The old version stays downloadable (clients mid-update), and individual deltas are gone from the store.
    expect((await t.app.inject({ method: 'GET', url: '/v1/model/versions/1/manifest.json' })).statusCode).toBe(200);
    expect((await t.app.store.findUpdate(ups[0]!.payload.key))?.payload.length).toBe(0);
  });

  it('announces the local training recipe of its policy with every round', async () => {
    const t = await testApp({ local: { ...DEFAULT_RECIPE, epochs: 2, virtualBatch: 512 } }); close = t.close;
    expect((await roundInfo(t.app)).local).toEqual({ ...DEFAULT_RECIPE, epochs: 2, virtualBatch: 512 });
  });

  it('publishes at the deadline with at least minClients, and a new round opens on the new version', async () => {
    const t = await testApp({ minClients: 2, targetClients: 100, durationMs: 2500 }); close = t.close;
    const r1 = await roundInfo(t.app);
    for (const seed of [1, 2]) expect((await post(t.app, r1.roundId, updateFor(r1, { seed }).bytes)).statusCode).toBe(202);
    const r2 = await waitFor(async () => { const i = await roundInfo(t.app); return i.roundId !== r1.roundId && i; });
    expect(r2.baseVersion).toBe(2);
    expect(Date.parse(r2.deadline)).toBeGreaterThan(Date.parse(r1.deadline));
  });

  it('fails a round with too few clients at the deadline: no new version, next round on the same version', async () => {
    const t = await testApp({ minClients: 3, targetClients: 100, durationMs: 2500 }); close = t.close;
    const r1 = await roundInfo(t.app);
    expect((await post(t.app, r1.roundId, updateFor(r1).bytes)).statusCode).toBe(202);
    const r2 = await waitFor(async () => { const i = await roundInfo(t.app); return i.roundId !== r1.roundId && i; });
    expect(r2.baseVersion).toBe(1);
    expect((await t.app.store.getRound(r1.roundId))?.status).toBe('failed');
    expect(((await t.app.inject({ method: 'GET', url: '/v1/model/manifest.json' })).json() as Manifest).modelVersion).toBe('1');
  });

  it('aggregates with the coordinate-wise median when configured', async () => {
    const t = await testApp({ minClients: 3, targetClients: 3, rule: 'median' }); close = t.close;
    const r1 = await roundInfo(t.app);
    const layout = layoutOf(r1);
    const mk = (c: number) => new Float32Array(layout.size).fill(c / Math.sqrt(layout.size));
    const ups = [0.1, 0.2, 0.9].map((c, k) => updateFor(r1, { seed: k + 1, delta: mk(c) }));
    const v1 = await download(t.app);
    for (const u of ups) expect((await post(t.app, r1.roundId, u.bytes)).statusCode).toBe(202);
    await waitFor(async () => (await roundInfo(t.app)).baseVersion === 2);
    const v2 = await download(t.app);
    const d = v2.weights.gru_wx![0]! - v1.weights.gru_wx![0]!;
    expect(d).toBeCloseTo(0.2 / Math.sqrt(layout.size), 3); // the middle client, not the mean
  });

  it('with central noise: runs to the deadline past the target, weights every update 1, noise std z_c · B / targetClients', async () => {
    // noiseMultiplier 0 → B = C = 1; the uploads claim 5 examples each, but under central DP every update has
    // weight 1 and w_max = 1 (the claimed weight is not DP-protected); the fixed denominator is targetClients = 3.
    const t = await testApp({ minClients: 3, targetClients: 3, durationMs: 2500, centralNoiseMultiplier: 0.5, maxClientWeight: 4, local: FROZEN }); close = t.close;
    const r1 = await roundInfo(t.app);
    const layout = layoutOf(r1);
    const zero = new Float32Array(layout.size);
    const v1 = await download(t.app);
    for (const seed of [1, 2, 3]) expect((await post(t.app, r1.roundId, updateFor(r1, { seed, delta: zero, examples: 5 }).bytes)).statusCode).toBe(202);
    await new Promise((r) => setTimeout(r, 400));
    expect(await roundInfo(t.app)).toMatchObject({ roundId: r1.roundId, accepted: 3, baseVersion: 1 }); // not closed at the target
    expect((await t.app.store.getRound(r1.roundId))?.status).toBe('open');
    await waitFor(async () => (await roundInfo(t.app)).baseVersion === 2, 10_000);
    const v2 = await download(t.app);
    let sq = 0, n = 0;
    for (const tn of layout.tensors) {
      const a = v1.weights[tn.name]!, b = v2.weights[tn.name]!;
      if (FROZEN.frozen.includes(tn.name)) { expect(b).toEqual(a); continue; } // noise there is zeroed
      for (let i = 0; i < a.length; i++) { sq += (b[i]! - a[i]!) ** 2; n++; }
    }
    const expected = (0.5 * 1 * 1) / 3; // with the claimed weights it would be 0.5 · 4 · 1 / 3
    expect(Math.abs(Math.sqrt(sq / n) / expected - 1)).toBeLessThan(0.08); // n ≈ 2300 draws
  });

  it('with central noise: releases the sum over the fixed denominator (targetClients), not the realised mean', async () => {
    const t = await testApp({ minClients: 2, targetClients: 4, durationMs: 2500, centralNoiseMultiplier: 1e-6, maxClientWeight: 8 }); close = t.close;
    // (0.4 + 0.8) / 4 = 0.3; the realised mean would give 0.6, the example-weighted mean (0.4 + 8·0.8) / 9 = 0.76.
    expect(await twoUpdatesStep(t.app)).toBeCloseTo(0.3, 2);
  });

  it('a local-noise round also runs to its deadline, weights every update 1 and divides the sum by targetClients; --close-at-target ends it on the count', async () => {
    // z = 1e-4: a DP round; the devices' own noise (std 1e-4 per coordinate) is far below the checked values.
    const t = await testApp({ minClients: 2, targetClients: 2, durationMs: 2500, noiseMultiplier: 1e-4, maxClientWeight: 8 }); close = t.close;
    const r1 = await roundInfo(t.app);
    const d = await twoUpdatesStep(t.app, async () => {
      await new Promise((r) => setTimeout(r, 400));
      expect(await roundInfo(t.app)).toMatchObject({ roundId: r1.roundId, accepted: 2, baseVersion: 1 }); // the target does not close it
    });
    expect(d).toBeCloseTo(0.6, 1); // (0.4 + 0.8) / 2 with unit weights; example weights would give (0.4 + 8·0.8) / 9 = 0.76
    await close(); close = undefined;

    const early = await testApp({ minClients: 2, targetClients: 2, noiseMultiplier: 1e-4, closeAtTarget: true }); close = early.close;
    const e1 = await roundInfo(early.app);
    for (const seed of [1, 2]) expect((await post(early.app, e1.roundId, updateFor(e1, { seed }).bytes)).statusCode).toBe(202);
    await waitFor(async () => (await roundInfo(early.app)).baseVersion === 2, 5_000); // the round lasts 60 s: closed by the count
  });

  it('refuses central noise with a robust rule at start-up (their sensitivity is not bounded by B / n)', () => {
    expect(() => defaultConfig({ round: { rule: 'median', centralNoiseMultiplier: 1 } })).toThrow(/central noise needs the fedavg rule/);
    expect(() => defaultConfig({ round: { rule: 'trimmed-mean', centralNoiseMultiplier: 0.5 } })).toThrow(/central noise needs the fedavg rule/);
    expect(() => defaultConfig({ round: { rule: 'median', centralNoiseMultiplier: 0 } })).not.toThrow();
  });
});
