import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { weightShapes } from '@perch/model/spec';
import { intFlag, parseArgs, setFlag } from '../../src/train/options.js';
import { UsageError } from '../../src/args.js';
import { loadWeights } from '../../src/train/export-model.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', timeout: 120_000 });

const dir = mkdtempSync(join(tmpdir(), 'perch-cli-'));
const data = join(dir, 'seq.txt');
// 80 users walking a ring of 30 items: a learnable next-item pattern
writeFileSync(data, Array.from({ length: 80 }, (_, u) => `u${u} ${Array.from({ length: 6 + (u % 5) }, (_, t) => ((u * 7 + t) % 30) + 1).join(' ')}`).join('\n') + '\nbroken-user\n');
const fast = 'dim=8,hidden=8,negatives=16,maxValCases=40';

describe('perch CLI', () => {
  it('rejects bad command lines with a UsageError', () => {
    for (const args of [[], ['frobnicate'], ['eval'], ['eval', '--data', data, '--bogus', '1'], ['eval', '--data'], ['train', '--data', data]]) {
      expect(() => parseArgs(args), args.join(' ')).toThrow(UsageError);
    }
    const a = parseArgs(['eval', '--data', data, '--seed', 'x', '--set', 'nope=1']);
    expect(() => intFlag(a, 'seed', 0)).toThrow(/--seed must be an integer/);
    expect(() => setFlag(a, { lr: 1 })).toThrow(/unknown hyper-parameter "nope"/);
  });

  it('exits 2 with usage on bad flags and missing files', () => {
    for (const args of [['eval', '--data', join(dir, 'missing.txt')], ['eval', '--data', data, '--epochs', '0']]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('usage:');
    }
  });

  it('eval prints a table and a final JSON line; train writes a verified int8 export', async () => {
    const out = join(dir, 'model');
    const plot = join(dir, 'curves.html');
    const r = run(['train', '--data', data, '--out', out, '--epochs', '2', '--plot', plot, '--set', fast]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('seq.txt:81: user broken-user has no items');
    const lines = r.stdout.trim().split('\n');
    expect(lines.some((l) => l.startsWith('markov'))).toBe(true);
    const res = JSON.parse(lines[lines.length - 1]!);
    expect(Object.keys(res.baselines)).toEqual(['pop', 'markov', 'itemknn', 'sknn']);
    for (const k of ['HR@10', 'HR@20', 'NDCG@10', 'NDCG@20', 'MRR@20']) expect(res.model[k]).toBeGreaterThanOrEqual(0);
    expect(res.events_per_second).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(['int8', 'none']).toContain(manifest.quantization); // the exporter keeps tensors < 4,096 values in float32
    expect(manifest.evaluation.test['HR@20']).toBe(res.model['HR@20']);
    expect(manifest.evaluation.testInt8['HR@20']).toBeGreaterThanOrEqual(0);
    const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8'));
    expect(vocab.items).toHaveLength(31);
    const dims = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).perch.dims;
    const w = await loadWeights(out); // verifies every sha256
    for (const [name, shape] of Object.entries(weightShapes(dims))) expect(w[name]!.length, name).toBe(shape.reduce((a, b) => a * b, 1));
    expect(res.model_bytes).toBeGreaterThan(0);
    expect(readFileSync(plot, 'utf8')).toContain('<svg');
  });

  it('train with a bounded item table ships only the kept items\' rows and hashed attribute names', async () => {
    const attrs = join(dir, 'attrs.json');
    writeFileSync(attrs, JSON.stringify(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [String(i + 1), [`g${i % 5}`, `h${i % 3}`]]))));
    const out = join(dir, 'bounded');
    const r = run(['train', '--data', data, '--attrs', attrs, '--out', out, '--epochs', '2', '--set', `${fast},attrBuckets=64,hashAttrs=1,idRows=10`]);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8'));
    const dims = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).perch.dims;
    expect(vocab.items).toHaveLength(11); // the padding row and the 10 most frequent items
    expect(dims.numItems).toBe(10);
    expect(dims.numAttrs).toBe(64);
    expect(vocab.attrs).toEqual([]);
    expect(vocab.attrHash).toMatchObject({ scheme: 'murmur3-x86-32', buckets: 64 });
    const w = await loadWeights(out);
    expect(w.item_emb!.length).toBe(11 * 8);
    // the shipped model scores the whole catalogue as the trained one did, up to int8 rounding
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(Math.abs(manifest.evaluation.testInt8['HR@20'] - res.model['HR@20'])).toBeLessThan(0.05);
    const groups = res.by_target;
    expect(groups.unseen.cases + groups.rare.cases + groups.frequent.cases).toBe(res.cases);
  });

  it('eval reads exportData() files (one export per line) as one user each', () => {
    const file = join(dir, 'exports.jsonl');
    const exp = (u: number) => JSON.stringify({
      format: 'perch-export', version: 1, exportedAt: 0, consent: {}, consentLog: [], rejected: [],
      events: Array.from({ length: 6 + (u % 5) }, (_, t) => ({ v: 1, type: t % 3 === 2 ? 'add_to_cart' : 'view_item', ts: 1e12 + t * 60_000, items: [{ id: `i${((u * 7 + t) % 30) + 1}`, category: `c${(u + t) % 4}` }] })),
    });
    writeFileSync(file, Array.from({ length: 80 }, (_, u) => exp(u)).join('\n') + '\n{"format":"perch-export","version":9}\n');
    const r = run(['eval', '--data', file, '--epochs', '1', '--set', fast]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('exports.jsonl:81: unsupported export version 9');
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(res.dataset).toBe('exports.jsonl');
    expect(res.model['HR@20']).toBeGreaterThan(0);
  });

  it('eval --seeds --split val reports the mean and a 95 % interval over seeds without reading the test events', () => {
    // the same users with every last event (the test target) changed to the user's first item: --split val must not
    // notice. A first user walking all 30 items fixes the item numbering (first appearance), which the change would move.
    const walk = `all ${Array.from({ length: 30 }, (_, i) => i + 1).join(' ')}\n`;
    const lines = readFileSync(data, 'utf8').split('\n');
    const original = join(dir, 'seq-walk.txt'), altered = join(dir, 'seq-altered.txt');
    writeFileSync(original, walk + lines.join('\n'));
    writeFileSync(altered, walk + lines.map((l) => {
      const t = l.trim().split(/\s+/);
      return t.length > 3 ? [...t.slice(0, -1), t[1]].join(' ') : l;
    }).join('\n'));
    const args = ['--split', 'val', '--seeds', '1,2,3', '--epochs', '2', '--threads', '1', '--set', fast];
    const a = run(['eval', '--data', original, ...args]), b = run(['eval', '--data', altered, ...args]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const ra = JSON.parse(a.stdout.trim().split('\n').pop()!), rb = JSON.parse(b.stdout.trim().split('\n').pop()!);
    expect(ra.split).toBe('val');
    expect(ra.cases).toBe(41); // 81 validation cases: 40 (maxValCases) of one half serve early stopping, the other 41 are measured
    expect(ra.seeds).toEqual([1, 2, 3]);
    expect(ra.per_seed).toHaveLength(3);
    for (const k of ['HR@20', 'NDCG@20']) {
      const v = ra.per_seed.map((p: { model: Record<string, number> }) => p.model[k]!);
      expect(ra.model[k]).toBeCloseTo(v.reduce((x: number, y: number) => x + y, 0) / 3, 4);
      expect(ra.model_ci95[k][0]).toBeLessThanOrEqual(Math.min(...v) + 1e-9);
      expect(ra.model_ci95[k][1]).toBeGreaterThanOrEqual(Math.max(...v) - 1e-9);
    }
    expect(new Set(ra.per_seed.map((p: { model: Record<string, number> }) => p.model['NDCG@20'])).size).toBeGreaterThan(1);
    expect(ra.per_seed[0].val_ndcg20).toHaveLength(ra.per_seed[0].epochs);
    expect(a.stdout).toContain('± 95 %');
    expect({ ...rb, dataset: '', train_seconds: 0, events_per_second: 0, per_seed: rb.per_seed.map((p: object) => ({ ...p, train_seconds: 0, events_per_second: 0 })) })
      .toEqual({ ...ra, dataset: '', train_seconds: 0, events_per_second: 0, per_seed: ra.per_seed.map((p: object) => ({ ...p, train_seconds: 0, events_per_second: 0 })) });
    // the test split does see the change
    const ta = run(['eval', '--data', original, '--epochs', '1', '--threads', '1', '--set', fast]), tb = run(['eval', '--data', altered, '--epochs', '1', '--threads', '1', '--set', fast]);
    expect(JSON.parse(ta.stdout.trim().split('\n').pop()!).baselines).not.toEqual(JSON.parse(tb.stdout.trim().split('\n').pop()!).baselines);
  });

  it('refuses --seed with --seeds, a repeated seed and an unknown split', () => {
    for (const extra of [['--seed', '1', '--seeds', '1,2'], ['--seeds', '1,1'], ['--split', 'train'], ['--seeds', '1,x']]) {
      const r = run(['eval', '--data', data, ...extra]);
      expect(r.status, extra.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--seeds?|--split/);
    }
  });

  it('a diverging run exits 1 and writes nothing', () => {
    const out = join(dir, 'diverged');
    const r = run(['train', '--data', data, '--out', out, '--epochs', '2', '--set', `${fast},lr=1e30,clip=0`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/diverged.*nothing was written/);
    expect(existsSync(out)).toBe(false);
  });
});
