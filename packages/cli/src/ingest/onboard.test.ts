// The README's "Onboard your shop" path, with real processes: `perch train --events … --catalog …` reads a
// GA4 export and a Merchant Center feed (the REES46 sample converted), writes a model, and the aggregator
// started with `--model` publishes it as version 1, signed, with the frequent products in its vocabulary.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rees46ToShop } from './roundtrip/rees46-to-shop.js';

const ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
const REES46 = resolve(ROOT, '../shared/data/rees46-sample/events.csv');

/** Runs the CLI to completion; resolves with its exit code, stdout and stderr. */
function perch(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'packages/cli/src/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('onboarding a shop: feed + GA4 export → trained model → published by the aggregator', () => {
  let dir: string;
  const stops: Array<() => void> = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'perch-onboard-'));
    const conv = rees46ToShop(readFileSync(REES46, 'utf8'));
    writeFileSync(join(dir, 'events_20191001.json'), conv.ga4);
    writeFileSync(join(dir, 'feed.xml'), conv.feed);
  });
  afterAll(() => { for (const s of stops) s(); rmSync(dir, { recursive: true, force: true }); });

  it('trains from the shop\'s own files and the aggregator publishes the model as version 1', async () => {
    const out = join(dir, 'model'), report = join(dir, 'ingest.json');
    const run = await perch(['train', '--events', join(dir, 'events_*.json'), '--catalog', join(dir, 'feed.xml'), '--out', out, '--report', report, '--epochs', '1', '--threads', '1', '--seed', '3']);
    expect(run.stderr).toMatch(/read .*feed\.xml and .*events_\*\.json/);
    expect(run.code, run.stderr).toBe(0);
    const last = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { model: Record<string, number>; seed: number };
    expect(last.seed).toBe(3);
    expect(last.model['HR@20']).toBeGreaterThan(0);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { counts: Record<string, number>; problems: Record<string, unknown> };
    expect(rep.counts['items.matched_to_feed']).toBeGreaterThan(6_000);
    // the sample's five exact duplicate rows, and nothing else (roundtrip.test.ts)
    expect(Object.keys(rep.problems)).toEqual(['events.duplicate event (same user, session, time, name and items; dropped)']);

    const agg = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'packages/aggregator/src/server.ts'), '--host', '127.0.0.1', '--port', '0', '--db', join(dir, 'agg.db'), '--model', out], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PERCH_AGG_LOG: 'warn' },
    });
    stops.push(() => agg.kill('SIGKILL'));
    let aggErr = '';
    agg.stderr.on('data', (d: Buffer) => { aggErr += d.toString(); });
    const url = await new Promise<string>((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`aggregator did not start: ${aggErr}`)), 30_000);
      agg.once('exit', (c) => { clearTimeout(t); fail(new Error(`aggregator exited with ${c}: ${aggErr}`)); });
      createInterface({ input: agg.stdout }).on('line', (l) => {
        if (!l.startsWith('{"event":"listening"')) return;
        clearTimeout(t);
        ok((JSON.parse(l) as { address: string }).address);
      });
    });
    const manifest = await (await fetch(`${url}/v1/model/manifest.json`)).json() as { modelVersion: string; signature?: unknown };
    expect(manifest.modelVersion).toBe('1');
    expect(manifest.signature).toBeDefined();
    const vocab = await (await fetch(`${url}/v1/model/vocab.json`)).json() as { items: string[]; attrs: string[] };
    const trained = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8')) as { items: string[] };
    expect(vocab.items).toEqual(trained.items);
    // id rows for the products seen in training (the trainer's default), the others by their attributes
    const ids = readFileSync(REES46, 'utf8').split('\n').slice(1).map((l) => l.split(',')[2]).filter(Boolean) as string[];
    const events = new Map<string, number>();
    for (const id of ids) events.set(id, (events.get(id) ?? 0) + 1);
    const top = [...events].sort((a, b) => b[1] - a[1])[0]![0];
    expect(vocab.items).toContain(top);
    expect(vocab.items.length).toBeLessThan(events.size);
    expect(vocab.attrs).toContain('brand:shiseido');
  }, 240_000);

  it('refuses a feed that does not exist and an export that matches nothing, with a reason and exit code 2', async () => {
    const noFeed = await perch(['eval', '--events', join(dir, 'events_*.json'), '--catalog', join(dir, 'nope.xml')]);
    expect(noFeed.code).toBe(2);
    expect(noFeed.stderr).toContain('nope.xml');
    const noEvents = await perch(['eval', '--events', join(dir, 'missing_*.json')]);
    expect(noEvents.code).toBe(2);
    expect(noEvents.stderr).toContain('missing_*.json');
    const both = await perch(['eval', '--events', join(dir, 'events_*.json'), '--data', REES46]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('one of them');
  }, 120_000);
});
