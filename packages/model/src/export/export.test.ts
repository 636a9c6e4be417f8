import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { weightShapes, type ModelDims } from '../spec.js';
import { loadModel } from '../tfjs/load.js';
import { createModel } from '../tfjs/model.js';
import { randomItemAttrs, randomWeights } from '../testing/reference.js';
import type { ModelEvent } from '../tfjs/types.js';
import { buildExport, writeExport, type ExportFiles } from './writer.js';
import { FormatError, IntegrityError, loadExport, parseManifest } from './loader.js';
import type { Manifest, ModelJson, VocabJson } from './format.js';
import { sha256Hex } from './sha256.js';

const dims: ModelDims = { numItems: 400, numAttrs: 30, numCategories: 6, dim: 16, hidden: 12 };
const weights = randomWeights(dims, 11);
const itemAttrs = randomItemAttrs(dims, 5);
const vocab: VocabJson = {
  items: ['', ...Array.from({ length: dims.numItems }, (_, i) => `sku-${i + 1}`)],
  attrs: ['', ...Array.from({ length: dims.numAttrs }, (_, i) => `a${i + 1}`)],
  itemAttrs,
  categories: Array.from({ length: dims.numCategories }, (_, i) => `cat${i}`),
};
const history: ModelEvent[] = [3, 77, 150, 151, 9, 400].map((item, i) => ({ item, kind: i % 3, gap: (i * 2) % 9 }));
const dec = new TextDecoder();
const reader = (files: ExportFiles) => async (p: string) => {
  const b = files.get(p);
  if (!b) throw new Error(`no ${p}`);
  return b;
};
const json = <T>(files: ExportFiles, p: string) => JSON.parse(dec.decode(files.get(p))) as T;

/** Every item's score after `history` (item rows 1..numItems), for comparing two sets of weights. */
async function allScores(w: typeof weights): Promise<Float32Array> {
  const m = createModel(dims, w, itemAttrs);
  const { state } = await m.forward(history);
  const s = Float32Array.from(await m.score(state, Array.from({ length: dims.numItems }, (_, i) => i + 1)));
  m.dispose();
  return s;
}

async function top10(w: typeof weights, attrs = itemAttrs): Promise<number[]> {
  const m = createModel(dims, w, attrs);
  const { state } = await m.forward(history);
  const { items } = await m.topK(state, 10, [3]);
  m.dispose();
  return Array.from(items);
}

describe('export → load round trip', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('float32: identical weights and top-10, every file listed with its sha256, shards ≤ the limit', async () => {
    const files = await buildExport({ dims, weights, vocab, maxShardBytes: 16 * 1024, hyperParameters: { lr: 0.001 }, evaluation: { 'HR@20': 0.1 }, createdAt: '2026-01-01T00:00:00Z' });
    const manifest = json<Manifest>(files, 'manifest.json');
    const shards = json<ModelJson>(files, 'model.json').weightsManifest[0]?.paths ?? [];
    expect(shards.length).toBeGreaterThan(1);
    for (const s of shards) expect(files.get(s)?.length).toBeLessThanOrEqual(16 * 1024);
    expect(manifest.files.map((f) => f.path).sort()).toEqual([...files.keys()].filter((p) => p !== 'manifest.json').sort());
    for (const f of manifest.files) expect(f.sha256).toBe(await sha256Hex(files.get(f.path) as Uint8Array));
    expect(manifest.quantization).toBe('none');
    expect(manifest.evaluation).toEqual({ 'HR@20': 0.1 });
    expect(manifest.modelVersion).toMatch(/^[0-9a-f]{16}$/);

    const loaded = await loadExport(reader(files));
    for (const name of Object.keys(weightShapes(dims))) expect(loaded.weights[name]).toEqual(weights[name]);
    expect(loaded.vocab).toEqual(vocab);
    const { model } = await loadModel(reader(files));
    const { state } = await model.forward(history);
    expect(Array.from((await model.topK(state, 10, [3])).items)).toEqual(await top10(weights));
    model.dispose();
  });

  it('int8: every value within its row bound scale/2, the recorded maxError is the measured one, top-10 kept', async () => {
    const dflt = json<ModelJson>(await buildExport({ dims, weights, vocab, quantization: 'int8' }), 'model.json');
    expect(dflt.weightsManifest[0]?.weights.filter((e) => e.quantization).map((e) => e.name)).toEqual(['item_emb']); // the only 2-D tensor ≥ 4,096 values here
    const int8Tensors = ['item_emb', 'attr_emb', 'gru_wx', 'gru_wh', 'out_w', 'cat_w', 'item_bias'];
    const files = await buildExport({ dims, weights, vocab, quantization: 'int8', int8Tensors });
    const manifest = json<Manifest>(files, 'manifest.json');
    expect(manifest.quantization).toBe('int8');
    const entries = json<ModelJson>(files, 'model.json').weightsManifest[0]?.weights ?? [];
    const quantised = entries.filter((e) => e.quantization);
    expect(quantised.map((e) => e.name).sort()).toEqual(int8Tensors.sort());
    const loaded = await loadExport(reader(files));
    for (const e of entries) {
      const x = weights[e.name] as Float32Array;
      const y = loaded.weights[e.name] as Float32Array;
      if (!e.quantization) {
        expect(y).toEqual(x);
        continue;
      }
      const cols = x.length / e.quantization.rows;
      let maxErr = 0;
      for (let r = 0; r < e.quantization.rows; r++) {
        let rowMax = 0;
        for (let i = r * cols; i < (r + 1) * cols; i++) rowMax = Math.max(rowMax, Math.abs(x[i] as number));
        for (let i = r * cols; i < (r + 1) * cols; i++) {
          const err = Math.abs((x[i] as number) - (y[i] as number));
          expect(err).toBeLessThanOrEqual((rowMax / 254) * (1 + 1e-6));
          maxErr = Math.max(maxErr, err);
        }
      }
      expect(maxErr).toBeCloseTo(e.quantization.maxError, 9);
    }
    // Smaller than float32: most values now take 1 byte.
    const f32 = await buildExport({ dims, weights, vocab });
    const size = (f: ExportFiles) => json<Manifest>(f, 'manifest.json').totalBytes;
    expect(size(files)).toBeLessThan(size(f32) * 0.6);
    // The top 10 is kept up to the quantisation error: at every rank the item is the float model's, or one whose
    // float score is within twice the largest score change int8 caused (a near-tie swapped), and that change is
    // small against the spread of the scores.
    const [exact, approx] = [await allScores(weights), await allScores(loaded.weights)];
    let change = 0;
    for (let i = 0; i < exact.length; i++) change = Math.max(change, Math.abs(exact[i]! - approx[i]!));
    expect(change).toBeLessThan(0.05 * (Math.max(...exact) - Math.min(...exact)));
    const [want, got] = [await top10(weights), await top10(loaded.weights)];
    for (let r = 0; r < 10; r++) {
      if (got[r] === want[r]) continue;
      expect(Math.abs(exact[got[r]! - 1]! - exact[want[r]! - 1]!), `rank ${r}: ${got[r]} for ${want[r]}`).toBeLessThanOrEqual(2 * change);
    }
  });

  it('rejects a tampered shard, a tampered vocabulary and unsafe manifest paths', async () => {
    const files = await buildExport({ dims, weights, vocab });
    const shard = json<ModelJson>(files, 'model.json').weightsManifest[0]?.paths[0] as string;
    const bad = new Map(files);
    const bytes = (files.get(shard) as Uint8Array).slice();
    bytes[100] = (bytes[100] as number) ^ 1;
    bad.set(shard, bytes);
    await expect(loadExport(reader(bad))).rejects.toThrow(IntegrityError);
    await expect(loadExport(reader(bad))).rejects.toThrow(new RegExp(`"${shard}" failed verification`));

    const badVocab = new Map(files);
    badVocab.set('vocab.json', new TextEncoder().encode(JSON.stringify({ ...vocab, items: vocab.items.slice().reverse() })));
    await expect(loadExport(reader(badVocab))).rejects.toThrow(/vocab\.json/);

    const m = json<Manifest>(files, 'manifest.json');
    const evil = { ...m, files: [...m.files, { path: '../secret', sha256: '0'.repeat(64), bytes: 1 }] };
    expect(() => parseManifest(new TextEncoder().encode(JSON.stringify(evil)))).toThrow(FormatError);
  });

  it('reads a spec v2 export (no attr_tr) as the v3 model with attr_tr = I: same weights, same top-10', async () => {
    // A v2 file written from the format alone: one float32 shard of every tensor but attr_tr.
    const v2 = Object.entries(weightShapes(dims)).filter(([n]) => n !== 'attr_tr');
    const shard = new Uint8Array(v2.reduce((a, [n]) => a + weights[n]!.byteLength, 0));
    v2.reduce((o, [n]) => (shard.set(new Uint8Array(weights[n]!.buffer.slice(0)), o), o + weights[n]!.byteLength), 0);
    const base = await buildExport({ dims, weights, vocab });
    const modelJson = { ...json<ModelJson>(base, 'model.json'), weightsManifest: [{ paths: ['s.bin'], weights: v2.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }], perch: { specVersion: 2, dims } };
    const files: ExportFiles = new Map([['model.json', new TextEncoder().encode(JSON.stringify(modelJson))], ['s.bin', shard], ['vocab.json', base.get('vocab.json')!]]);
    const listed = await Promise.all([...files].map(async ([path, bytes]) => ({ path, sha256: await sha256Hex(bytes), bytes: bytes.length })));
    files.set('manifest.json', new TextEncoder().encode(JSON.stringify({ ...json<Manifest>(base, 'manifest.json'), specVersion: 2, files: listed })));
    const loaded = await loadExport(reader(files));
    const I = new Float32Array(dims.dim * dims.dim).map((_, k) => (k % (dims.dim + 1) === 0 ? 1 : 0));
    expect(loaded.weights.attr_tr).toEqual(I);
    for (const [name] of v2) expect(loaded.weights[name]).toEqual(weights[name]);
    expect(await top10({ ...weights, attr_tr: I })).not.toEqual(await top10(weights)); // T matters in this model
    const { model } = await loadModel(reader(files));
    const { state } = await model.forward(history);
    expect(Array.from((await model.topK(state, 10, [3])).items)).toEqual(await top10({ ...weights, attr_tr: I }));
    model.dispose();
    // a version this code does not know is refused
    const v1 = new Map(files);
    v1.set('model.json', new TextEncoder().encode(dec.decode(files.get('model.json')).replace('"specVersion":2', '"specVersion":1')));
    const relisted = await Promise.all([...v1].filter(([p]) => p !== 'manifest.json').map(async ([path, bytes]) => ({ path, sha256: await sha256Hex(bytes), bytes: bytes.length })));
    v1.set('manifest.json', new TextEncoder().encode(JSON.stringify({ ...json<Manifest>(files, 'manifest.json'), files: relisted })));
    await expect(loadExport(reader(v1))).rejects.toThrow(/spec version 1, this code reads 2 and 3/);
  });

  it('writeExport writes the manifest last', async () => {
    const files = await buildExport({ dims, weights, vocab });
    const order: string[] = [];
    await writeExport(files, async (p) => void order.push(p));
    expect(order.at(-1)).toBe('manifest.json');
    expect(order.length).toBe(files.size);
  });
});
