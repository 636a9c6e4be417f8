import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readModelDir } from '../src/publish/format.js';
import { buildExport, writeExport } from '@perch/model/export';
import { tinyRandomModel } from '../src/publish/seed.js';
import { parseServerArgs } from '../src/config.js';
import { DEFAULT_RECIPE, DEFAULT_SECAGG_RECIPE } from '@perch/learn/client';
import { tempDir, testApp } from './helper.js';
import type { Manifest } from '../src/store/types.js';

let close: (() => Promise<void>) | undefined;
let cleanup: (() => void) | undefined;
afterEach(async () => { await close?.(); close = undefined; cleanup?.(); cleanup = undefined; });

describe('seed model', () => {
  it('the built-in model is deterministic', () => {
    const a = tinyRandomModel(), b = tinyRandomModel();
    expect(a.weights.gru_wx).toEqual(b.weights.gru_wx);
    expect(tinyRandomModel(undefined, 43).weights.gru_wx).not.toEqual(a.weights.gru_wx);
  });

  it('starts from --model DIR (an export, as the trainer writes it) and serves exactly those weights', async () => {
    const tmp = tempDir(); cleanup = tmp.cleanup;
    const dims = { numItems: 7, numAttrs: 2, numCategories: 3, dim: 4, hidden: 5 };
    const model = tinyRandomModel(dims, 5);
    const dir = join(tmp.dir, 'model');
    mkdirSync(dir);
    await writeExport(await buildExport({ dims, weights: model.weights, vocab: model.vocab, modelVersion: 'trainer-abc' }), async (p, b) => writeFileSync(join(dir, p), b));
    expect((await readModelDir(dir)).weights.out_w).toEqual(model.weights.out_w);
    const t = await testApp({}, { modelDir: dir }); close = t.close;
    const m = (await t.app.inject({ method: 'GET', url: '/v1/model/manifest.json' })).json() as Manifest;
    expect(m.modelVersion).toBe('1'); // renumbered: the aggregator's versions are integers
    const stored = await t.app.store.getWeights(1);
    expect(stored.item_emb).toEqual(model.weights.item_emb);
    const vocab = (await t.app.inject({ method: 'GET', url: '/v1/model/vocab.json' })).json() as { items: string[] };
    expect(vocab.items).toEqual(model.vocab.items);
  });

  it('refuses a model directory whose files do not match their manifest', async () => {
    const tmp = tempDir(); cleanup = tmp.cleanup;
    const dims = { numItems: 7, numAttrs: 2, numCategories: 3, dim: 4, hidden: 5 };
    const model = tinyRandomModel(dims);
    await writeExport(await buildExport({ dims, weights: model.weights, vocab: model.vocab }), async (p, b) => writeFileSync(join(tmp.dir, p), b));
    const shard = readFileSync(join(tmp.dir, 'group1-shard1of1.bin'));
    shard[0] = shard[0]! ^ 0xff;
    writeFileSync(join(tmp.dir, 'group1-shard1of1.bin'), shard);
    await expect(readModelDir(tmp.dir)).rejects.toThrow(/verification/);
  });

  it('parses flags over environment over defaults', () => {
    const c = parseServerArgs(['--port', '9000', '--min-clients', '5', '--cors', 'http://a.test, http://b.test', '--dims', '32,24'], { PERCH_AGG_PORT: '1', PERCH_AGG_CLIP: '0.5' });
    expect(c.port).toBe(9000);
    expect(c.round.minClients).toBe(5);
    expect(c.round.clipBound).toBe(0.5);
    expect(c.corsOrigins).toEqual(['http://a.test', 'http://b.test']);
    expect(c.seedDims).toMatchObject({ dim: 32, hidden: 24 });
    expect(c.host).toBe('127.0.0.1');
    // the default server step: bias-corrected FedAdam (config.ts says where it comes from)
    expect(c.round).toMatchObject({ serverOptimizer: 'adam', serverLearningRate: 0.005, adamTau: 1e-6, adamBiasCorrection: true });
    expect(parseServerArgs(['--server-opt', 'sgd', '--server-lr', '1']).round).toMatchObject({ serverOptimizer: 'sgd', serverLearningRate: 1 });
    expect(() => parseServerArgs(['--port'])).toThrow();
    expect(() => parseServerArgs(['--bogus', '1'])).toThrow(/bogus/);
    expect(() => parseServerArgs(['stray'])).toThrow(/stray/);
    expect(parseServerArgs(['--signing-key', 'k.json']).signingKeyPath).toBe('k.json');
    expect(parseServerArgs([], { PERCH_AGG_SIGNING_KEY: 'env.json' }).signingKeyPath).toBe('env.json');
    expect(() => parseServerArgs(['--clip', 'x'])).toThrow();
    expect(() => parseServerArgs(['--rule', 'mean'])).toThrow(/unknown rule/);
    expect(() => parseServerArgs(['--min-clients', '5', '--target-clients', '2'])).toThrow(/targetClients/);
    expect(() => parseServerArgs(['--sampling', '0'])).toThrow(/sampling/);
    // DP rounds run to their deadline unless told otherwise
    expect(parseServerArgs([]).round.closeAtTarget).toBe(false);
    expect(parseServerArgs(['--close-at-target', 'on']).round.closeAtTarget).toBe(true);
    expect(() => parseServerArgs(['--close-at-target', 'yes'])).toThrow(/on or off/);
    // the devices' local recipe: defaults, flags override single fields, out-of-range values refuse to start
    expect(parseServerArgs([]).round.local).toEqual(DEFAULT_RECIPE);
    expect(parseServerArgs(['--local-epochs', '2', '--local-virtual-batch', '0'], { PERCH_AGG_LOCAL_LR: '0.5' }).round.local)
      .toEqual({ ...DEFAULT_RECIPE, epochs: 2, virtualBatch: 0, learningRate: 0.5 });
    expect(() => parseServerArgs(['--local-dropout', '2'])).toThrow(/local dropout/);
    expect(() => parseServerArgs(['--local-epochs', '1.5'])).toThrow(/local epochs must be an integer/);
    expect(parseServerArgs(['--local-frozen', 'none']).round.local.frozen).toEqual([]);
    expect(parseServerArgs(['--local-frozen', 'cat_w,cat_b']).round.local.frozen).toEqual(['cat_w', 'cat_b']);
    expect(() => parseServerArgs(['--local-frozen', 'item_emb'])).toThrow(/unknown tensors: item_emb/);
    // secure aggregation announces its own recipe unless told otherwise; flags still override single fields
    expect(parseServerArgs(['--secagg', 'on']).round.local).toEqual(DEFAULT_SECAGG_RECIPE);
    expect(parseServerArgs(['--secagg', 'on', '--local-dropout', '0.1']).round.local).toEqual({ ...DEFAULT_SECAGG_RECIPE, dropout: 0.1 });
    expect(parseServerArgs(['--secagg', 'on', '--local-frozen', 'event_emb,gap_emb']).round.local).toEqual(DEFAULT_RECIPE);
  });
});
