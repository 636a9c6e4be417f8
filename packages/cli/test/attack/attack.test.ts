/**
 * The decoding attack on single uploads (src/attack/). Unit tests of its pieces on constructed cases whose answer
 * is known, then the whole experiment on a real slice of Amazon Beauty with a briefly but really trained model:
 * without noise one upload names most of the items its device touched, and at z = 5 the attack does no better
 * with a device's own upload than with another device's. Thresholds were measured on seeds 1–3 of this set-up
 * (z = 0: item top-10 recovery 0.90–0.92, attributes 0.96–0.985) and are set well below.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeUpdate } from '@perch/learn/client';
import { Rng } from '@perch/model/rng';
import { initWeights, zeroWeights } from '@perch/model/plain';
import { flattenShared } from '@perch/learn/update';
import type { ModelDims } from '@perch/model/spec';
import { beautySlice } from '../beauty-slice.js';
import { buildInt8, writeDir } from '../../src/train/export-model.js';
import { OPTIONS, parseAttackArgs, USAGE, DEFAULTS } from '../../src/attack/args.js';
import { runAttack } from '../../src/attack/cli.js';
import { attackExperiment, type AttackOptions, type DeviceFigures } from '../../src/attack/experiment.js';
import { LinearDecoder, type ShadowUpload } from '../../src/attack/decoder.js';
import { attributesOf, knowledgeOf, type PublicModel } from '../../src/attack/knowledge.js';
import { coordinates, gram, symEig } from '../../src/attack/linalg.js';
import { bootstrapMean, chance, outcome, tieKeys, topK } from '../../src/attack/metrics.js';
import { readExportDir, seedModel } from '../../src/attack/model-source.js';
import { observe, type Observation } from '../../src/attack/observe.js';
import { summary } from '../../src/attack/report.js';
import { UploadScorer } from '../../src/attack/scorers.js';
import { analyse, rankOf } from '../../src/attack/spaces.js';
import { UsageError } from '../../src/args.js';

const dims: ModelDims = { numItems: 200, numAttrs: 20, numCategories: 1, dim: 16, hidden: 16 };
/** A random public model: item i has attributes i mod 20 + 1 and (i·7) mod 20 + 1. */
function tinyModel(): PublicModel {
  const offsets = new Int32Array(dims.numItems + 2), ids: number[] = [];
  for (let i = 1; i <= dims.numItems; i++) { ids.push((i % 20) + 1, ((i * 7) % 20) + 1); offsets[i + 1] = ids.length; }
  return { dims, weights: initWeights(dims, new Rng(5)), attrs: { attrOffsets: offsets, attrIds: Int32Array.from(ids) }, counts: Float64Array.from({ length: dims.numItems + 1 }, (_, i) => i % 9), typedEvents: false };
}

/** Σ_t row(a_t) ⊗ random(m) over rows `pick` of `cand` (d wide), as an (d × m) matrix, or its transpose. */
function outerSum(cand: Float32Array, pick: number[], m: number, rng: Rng, transpose: boolean): Float32Array {
  const d = dims.dim, out = new Float32Array(d * m);
  for (const i of pick) {
    const g = Array.from({ length: m }, () => rng.normal());
    for (let k = 0; k < d; k++) for (let j = 0; j < m; j++) { const o = transpose ? j * d + k : k * m + j; out[o] = out[o]! + cand[i * d + k]! * g[j]!; }
  }
  return out;
}

describe('attack building blocks', () => {
  it('symEig diagonalises a symmetric matrix; coordinates are its eigenbasis projections', () => {
    const rng = new Rng(1), M = Float32Array.from({ length: 6 * 9 }, () => rng.normal());
    const G = gram(M, 6, 9, 'left'), e = symEig(G, 6);
    for (let r = 0; r < 6; r++) {
      if (r > 0) expect(e.values[r]!).toBeLessThanOrEqual(e.values[r - 1]!);
      for (let i = 0; i < 6; i++) {
        let s = 0;
        for (let j = 0; j < 6; j++) s += G[i * 6 + j]! * e.vectors[r * 6 + j]!;
        expect(s).toBeCloseTo(e.values[r]! * e.vectors[r * 6 + i]!, 9);
      }
    }
    expect(Array.from(gram(M, 6, 9, 'right')).length).toBe(81);
    const c = coordinates(Float32Array.from(e.vectors.subarray(6, 12)), 1, 6, e); // eigenvector 1 itself
    expect(c.coef[1]).toBeCloseTo(1, 6);
    expect(c.norm2[0]).toBeCloseTo(1, 6);
  });

  it('scorers rank exactly the items whose vectors span the uploaded tensors first', () => {
    const m = tinyModel(), k = knowledgeOf(m), d = dims.dim, H = dims.hidden, rng = new Rng(2);
    const inputs = [5, 17, 42], targets = [17, 42, 99];
    const t: Record<string, Float32Array> = {
      gru_wx: outerSum(k.inputs, inputs, 3 * H, rng, false), out_w: outerSum(k.reps, targets, H, rng, true),
      attr_tr: new Float32Array(d * d), out_b: new Float32Array(d),
    };
    const obs: Observation = { tensor: (n) => t[n]!, noiseVar: () => 1e-12, positions: null };
    const a = analyse(obs, k), tie = tieKeys(dims.numItems, new Rng(3));
    expect(rankOf(a.inputs, { margin: 1.5, header: false }, null, true)).toBe(3);
    const s = new UploadScorer(a, k, tie), rank = { margin: 1.5, header: false };
    const top = (base: 'inputs' | 'targets' | 'max', n: number): number[] => Array.from(topK(s.items({ base, rank, prior: 0 }), n, tie)).sort((x, y) => x - y);
    expect(top('inputs', 3)).toEqual(inputs);
    expect(top('targets', 3)).toEqual(targets);
    expect(top('max', 4)).toEqual([5, 17, 42, 99]);
    // the header's position count caps the rank: 2 positions keep only the two strongest input directions
    expect(rankOf(a.inputs, { margin: 1.5, header: true }, 2, true)).toBe(2);
    // pure noise stays below the Marchenko–Pastur edge: no direction is kept
    const noise = Float32Array.from({ length: d * 3 * H }, () => 0.1 * rng.normal());
    const n = analyse({ tensor: (x) => (x === 'gru_wx' ? noise : t[x]!), noiseVar: () => 0.01, positions: null }, k);
    expect(rankOf(n.inputs, rank, null, true)).toBe(0);
  });

  it('the learned decoder inverts a linear leak: shadows whose out_b is their items\' mean representation', () => {
    const m = tinyModel(), k = knowledgeOf(m), d = dims.dim, rng = new Rng(6);
    const upload = (items: number[]): ShadowUpload => {
      const t: Record<string, Float32Array> = {};
      for (const x of k.layout.tensors) t[x.name] = new Float32Array(x.shape.reduce((a, b) => a * b, 1));
      for (const i of items) for (let j = 0; j < d; j++) t.out_b![j] = t.out_b![j]! + k.reps[i * d + j]! / items.length;
      return { obs: { tensor: (n) => t[n]!, noiseVar: () => 0, positions: null }, items: Int32Array.from(items), attrs: attributesOf(m.attrs, items) };
    };
    const shadows = Array.from({ length: 60 }, () => upload(Array.from({ length: 1 + rng.int(3) }, () => 1 + rng.int(dims.numItems))));
    const dec = new LinearDecoder(k, shadows);
    for (const item of [7, 77, 177]) {
      const out = dec.decode(upload([item]).obs, 0);
      expect(topK(out.items, 1, tieKeys(dims.numItems, rng))[0]).toBe(item);
    }
  });

  it('observe decodes a real upload: values within one int8 step, the header\'s positions only without noise', () => {
    const m = tinyModel(), k = knowledgeOf(m), w = zeroWeights(dims), rng = new Rng(4);
    for (const name of ['gru_wx', 'out_w', 'out_b', 'attr_tr']) w[name] = Float32Array.from(w[name]!, () => 0.01 * rng.normal());
    const delta = flattenShared(w, k.layout);
    const up = (z: number, examples: number): Uint8Array => makeUpdate(delta, k.layout, { roundId: 1, baseVersion: 1, clipBound: 100, noiseMultiplier: z, examples, maxClientWeight: 32, rng: new Rng(1) }).bytes;
    const o = observe(up(0, 7), k.layout, { noise: 0, clip: 100, cap: 32 });
    const wx = o.tensor('gru_wx'), max = Math.max(...Array.from(w.gru_wx!, Math.abs));
    expect(wx.length).toBe(w.gru_wx!.length);
    for (let i = 0; i < wx.length; i++) expect(Math.abs(wx[i]! - w.gru_wx![i]!)).toBeLessThanOrEqual(max / 127 + 1e-9);
    expect(o.positions).toBe(7);
    expect(o.noiseVar('gru_wx')).toBeCloseTo((max / 127) ** 2 / 6, 12);
    expect(observe(up(0, 40), k.layout, { noise: 0, clip: 100, cap: 32 }).positions).toBeNull(); // capped: only "≥ 32"
    expect(observe(up(1, 1), k.layout, { noise: 1, clip: 100, cap: 32 }).noiseVar('out_b')).toBeGreaterThanOrEqual(100 ** 2);
    expect(() => observe(up(0, 7).subarray(1), k.layout, { noise: 0, clip: 100, cap: 32 })).toThrow(/does not decode/);
  });

  it('metrics: exact chance levels, recovery against min(k, touched), seeded ties, stratified intervals', () => {
    // 5 rows, 2 touched, top 2: P(no hit) = C(3,2)/C(5,2) = 0.3; E|∩| = 2·2/5
    expect(chance(5, 2, 2).hit).toBeCloseTo(0.7, 12);
    expect(chance(5, 2, 2).recovery).toBeCloseTo(0.4, 12);
    expect(chance(12101, 20, 10).recovery).toBeCloseTo(20 / 12101, 12); // E|∩| = 10·20/12101, over min(10, 20)
    expect(outcome(Int32Array.from([3, 9, 4]), Int32Array.from([1, 3]))).toEqual({ recovery: 0.5, hit: 1 });
    expect(outcome(Int32Array.from([3, 9]), Int32Array.from([3, 5, 9, 11]))).toEqual({ recovery: 1, hit: 1 });
    const flat = new Float64Array(50), keys = tieKeys(49, new Rng(9));
    const order = Array.from(topK(flat, 49, keys));
    expect(order).toEqual(Array.from({ length: 49 }, (_, i) => i + 1).sort((a, b) => keys[b]! - keys[a]!));
    expect(topK(Float64Array.from([0, 1, 5, 3]), 2, keys)).toEqual(Int32Array.from([2, 3]));
    const iv = bootstrapMean([1, 1, 1, 0, 0, 0], { strata: [1, 1, 1, 2, 2, 2] }); // within strata: no variation left
    expect(iv).toEqual({ mean: 0.5, lo: 0.5, hi: 0.5 });
    const wide = bootstrapMean([1, 0, 1, 0, 1, 0]);
    expect(wide.lo).toBeLessThan(0.5);
    expect(wide.hi).toBeGreaterThan(0.5);
  });
});

describe('perch attack: arguments', () => {
  it('exits 2 with the usage on bad command lines, 0 on --help; documents every option', async () => {
    const err = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      for (const argv of [['attack', '--bogus', '1'], ['attack', '--seeds', 'x'], ['attack', '--seeds', '1,1'], ['attack', '--noise', '-1'],
        ['attack', '--noise', '1,,5'], ['attack', '--clip', '0'], ['attack', '--test-devices', '1'], ['attack', 'extra'], ['attack', '--seeds'],
        ['attack', '--data', '/nonexistent-dir-for-perch-test'], ['attack', '--model', '/nonexistent-dir-for-perch-test'], ['simulate']]) {
        expect(await runAttack(argv), argv.join(' ')).toBe(2);
      }
      expect(await runAttack(['attack', '--help'])).toBe(0);
    } finally { process.stderr.write = err; }
    expect(OPTIONS.filter((name) => !new RegExp(`\\n  --${name} `).test(USAGE))).toEqual([]);
    expect(parseAttackArgs(['attack']).options).toEqual(DEFAULTS);
    expect(DEFAULTS).toMatchObject({ clip: 1, noise: [0, 1, 5] }); // the device policy's C and minimum device noise
    expect(parseAttackArgs(['attack', '--seeds', '4,5', '--noise=0,0.5', '--test-devices', '9']).options).toMatchObject({ seeds: [4, 5], noise: [0, 0.5], testDevices: 9 });
    expect(() => parseAttackArgs(['attack', '--pretrain-fraction', '1'])).toThrow(UsageError);
  });

  it('`pnpm perch attack` reaches it through the trainer CLI (usage error: exit 2)', () => {
    const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'attack', '--bogus'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: perch attack');
  });
});

/** Mean of one figure over devices. */
const mean = (f: DeviceFigures[], k: keyof DeviceFigures, m: 'recovery' | 'hit'): number => f.reduce((a, d) => a + d[k][m], 0) / f.length;

describe('the attack on Amazon Beauty (first 2,000 users, a model pretrained for 2 epochs)', () => {
  const ds = beautySlice(2000);
  const o: AttackOptions = { seeds: [1], noise: [0, 5], clip: 1, valDevices: 20, testDevices: 40, shadowDevices: 200, pretrainFraction: 0.3, pretrainEpochs: 2, dim: 32, hidden: 32 };

  it('without noise names the touched items and attributes; at z = 5 a device\'s own upload helps no more than another\'s', async () => {
    const r = await attackExperiment(ds, o);
    const s = summary(r, o) as { levels: Array<Record<'items' | 'attributes', Record<string, Record<string, Record<string, { mean: number; ci95: [number, number] }>>>>> };
    const [clear, noisy] = r.levels;
    expect(r.strata).toHaveLength(40);
    // z = 0: far above chance (0.0015 / 0.01 for items) and far above popularity alone
    expect(mean(clear!.items, 'withoutPrior', 'recovery')).toBeGreaterThan(0.7);
    expect(mean(clear!.items, 'withoutPrior', 'hit')).toBeGreaterThan(0.9);
    expect(mean(clear!.items, 'chance', 'recovery')).toBeLessThan(0.003);
    expect(s.levels[0]!.items.without_popularity!.minus_other_upload!.recovery!.ci95[0]).toBeGreaterThan(0.6);
    expect(mean(clear!.attrs, 'withoutPrior', 'recovery')).toBeGreaterThan(0.85);
    expect(mean(clear!.attrs, 'withoutPrior', 'recovery')).toBeGreaterThan(mean(clear!.attrs, 'priorOnly', 'recovery') + 0.25);
    expect(s.levels[0]!.attributes.without_popularity!.minus_other_upload!.recovery!.ci95[0]).toBeGreaterThan(0.4);
    // z = 5: the attacker without popularity is at chance on items (≤ 0.02 recovery, ≤ 0.1 hit; chance 0.0015 / 0.01) ...
    expect(mean(noisy!.items, 'withoutPrior', 'recovery')).toBeLessThan(0.02);
    expect(mean(noisy!.items, 'withoutPrior', 'hit')).toBeLessThan(0.1);
    // ... and for either attacker, items or attributes, the own upload scores within ±0.03 (items) / ±0.06
    // (attributes) of another device's upload, with an interval that holds 0
    for (const target of ['items', 'attributes'] as const) {
      for (const who of ['without_popularity', 'with_popularity']) {
        const d = s.levels[1]![target][who]!.minus_other_upload!.recovery!;
        expect(Math.abs(d.mean), `${target} ${who}`).toBeLessThan(target === 'items' ? 0.03 : 0.06);
        expect(d.ci95[0]).toBeLessThanOrEqual(0);
        expect(d.ci95[1]).toBeGreaterThanOrEqual(0);
      }
    }
  }, 240_000); // a whole attack experiment on real data: well under a minute alone, several times that on a loaded 2-core machine

  it('attacks an exported model directory (--model) the same way', async () => {
    // export a model of a small slice (int8, with the item counts it publishes), then attack it from its directory
    const small = beautySlice(600);
    const sm = await seedModel(small, { seed: 1, pretrainFraction: 0.3, pretrainEpochs: 1, dim: 16, hidden: 16 });
    const dir = mkdtempSync(join(tmpdir(), 'perch-attack-'));
    const trained = small.sequences.filter((_, i) => i % 3 === 0);
    await writeDir(dir, await buildInt8(sm.model.dims, sm.model.weights, small, trained, {}, {}));
    const r = await attackExperiment(small, { ...o, noise: [0], valDevices: 5, testDevices: 10 }, await readExportDir(dir));
    expect(r.seeds[0]).toMatchObject({ pretrainUsers: 0, numItems: small.vocab.length - 1, test: 10 });
    expect(mean(r.levels[0]!.items, 'withoutPrior', 'recovery')).toBeGreaterThan(0.5);
  });
});
