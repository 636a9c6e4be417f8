// A small real model for the reranking suites and the bench: trained by the real trainer CLI on a slice of
// Amazon Beauty (first 4,000 users, one epoch) and exported by the real exporter (int8, manifest, sha256).
// Cached under e2e/artifacts/ keyed by a hash of the trainer inputs (data slice, attributes, flags, model
// spec version), so the suite trains once (about 2 minutes on 2 cores).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_SPEC_VERSION } from '@perch/model/spec';
import { DEFAULTS } from '@perch/model/plain';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DATA = join(root, '..', 'shared', 'data', 'amazon-beauty');
export const SLICE_USERS = 4000;
const FLAGS = ['--epochs', '1', '--threads', '1', '--max-seconds', '60', '--seed', '1'];

/** The Beauty slice as text (also used by the tests to pick real items and attributes). */
export function beautySlice(): string {
  const lines = readFileSync(join(DATA, 'Beauty.txt'), 'utf8').split('\n');
  return lines.slice(0, SLICE_USERS).join('\n') + '\n';
}

/** item id → attribute ids, from the real attributes file. */
export function beautyAttrs(): Record<string, number[]> {
  return JSON.parse(readFileSync(join(DATA, 'Beauty_item2attributes.json'), 'utf8')) as Record<string, number[]>;
}

/** Directory of the trained export (manifest.json, model.json, shards, vocab.json); trains if missing. */
export function ensureSmallModel(): string {
  const slice = beautySlice();
  const attrsFile = join(DATA, 'Beauty_item2attributes.json');
  return ensureTrainedModel('model-small', [slice, readFileSync(attrsFile), FLAGS.join(' ')], (tmp) => {
    const data = join(tmp, 'beauty-slice.txt');
    writeFileSync(data, slice);
    return ['--data', data, '--attrs', attrsFile, ...FLAGS];
  });
}

/**
 * A model trained by the trainer CLI as `pnpm perch` runs it (tsx on its source, at low priority: the machine is
 * shared) and cached in e2e/artifacts/<name>-<key>, the key a hash of `inputs`, the model spec version (a
 * model exported for an older spec is refused by the current loader) and the trainer's defaults. `args(tmp)` gives the CLI's flags but
 * `--out`, after writing any input file it needs into `tmp`.
 */
export function ensureTrainedModel(name: string, inputs: Array<string | Buffer>, args: (tmp: string) => string[]): string {
  const hash = createHash('sha256');
  for (const x of inputs) hash.update(x);
  const key = hash.update(`spec ${MODEL_SPEC_VERSION}`).update(JSON.stringify(DEFAULTS)).digest('hex').slice(0, 16);
  const dir = join(root, 'e2e', 'artifacts', `${name}-${key}`);
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const out = join(tmp, 'model');
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const r = spawnSync('nice', ['-n', '10', tsx, 'src/cli.ts', 'train', ...args(tmp), '--out', out],
    { cwd: join(root, 'packages', 'cli'), stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  if (r.status !== 0 || !existsSync(join(out, 'manifest.json'))) throw new Error(`training ${name} failed (exit ${r.status})`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(out, dir);
  rmSync(tmp, { recursive: true, force: true });
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureSmallModel());
