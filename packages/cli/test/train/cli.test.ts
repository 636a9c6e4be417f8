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

  it('a diverging run exits 1 and writes nothing', () => {
    const out = join(dir, 'diverged');
    const r = run(['train', '--data', data, '--out', out, '--epochs', '2', '--set', `${fast},lr=1e12,clip=0`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/diverged.*nothing was written/);
    expect(existsSync(out)).toBe(false);
  });
});
