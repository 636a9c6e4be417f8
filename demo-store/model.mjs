// The demo's model: `.perch-data/model` (or PERCH_MODEL_DIR), trained on first use by the real trainer CLI
// on the first 20,000 shoppers of Amazon Beauty (at most 6 epochs and 100 s of training). Shared by `npm start`
// and `pnpm demo:simulate` (whose shoppers are taken from the 2,363 users after those 20,000).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const dataDir = join(root, '.perch-data');
/** Shoppers (lines of Beauty.txt, from the top) the demo model is trained on; later ones are held out. */
export const TRAIN_USERS = 20000;
/** Trainer flags of the demo model; a cached model trained with other ones (or other users) is retrained. */
const TRAIN_FLAGS = ['--epochs', '6', '--threads', '1', '--max-seconds', '100', '--seed', '1'];
const STAMP = 'demo-training.json';
// `vocab`: exports since the federated recipe carry the training-item counts devices sample stand-ins from.
const stamp = () => JSON.stringify({ trainUsers: TRAIN_USERS, flags: TRAIN_FLAGS, vocab: 'itemCounts' });
export const beautyDir = () => process.env.PERCH_DATA ?? join(root, '..', 'shared', 'data', 'amazon-beauty');
export const modelDir = () => process.env.PERCH_MODEL_DIR ?? join(dataDir, 'model');

/** The model spec version this checkout reads (packages/model/src/spec.ts), or null if it cannot be read. */
function specVersion() {
  try {
    const m = /MODEL_SPEC_VERSION\s*=\s*(\d+)/.exec(readFileSync(join(root, 'packages', 'model', 'src', 'spec.ts'), 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Why a cached model must be retrained (another spec version, or other training settings), or null. */
function staleReason(dir) {
  try {
    const have = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).specVersion;
    const want = specVersion();
    if (want !== null && have !== want) return `spec version ${have}, this checkout reads ${want}`;
  } catch {
    return null;
  }
  if (process.env.PERCH_MODEL_DIR) return null; // a model the user points at is used as it is
  try {
    return readFileSync(join(dir, STAMP), 'utf8') === stamp() ? null : 'trained with other settings';
  } catch {
    return 'trained with other settings';
  }
}

/**
 * Returns the model directory, training it first when it has no manifest (progress on the terminal).
 * Returns null when training failed or PERCH_SKIP_TRAIN=1 (lists then keep the shop's order).
 */
export function ensureModel() {
  const dir = modelDir();
  const stale = staleReason(dir);
  if (existsSync(join(dir, 'manifest.json')) && !stale) return dir;
  if (stale) console.log(`The model in ${dir} is stale (${stale}): training it again.`);
  if (process.env.PERCH_SKIP_TRAIN === '1') return null;
  mkdirSync(dataDir, { recursive: true });
  const data = beautyDir();
  const slice = join(dataDir, 'beauty-slice.txt');
  writeFileSync(slice, readFileSync(join(data, 'Beauty.txt'), 'utf8').split('\n').slice(0, TRAIN_USERS).join('\n') + '\n');
  if (!stale) console.log(`No model in ${dir}: training a small one (first start only, about 2 minutes)…`);
  const t = spawnSync('nice', ['-n', '10', join(root, 'node_modules', '.bin', 'tsx'), 'src/cli.ts', 'train', '--data', slice, '--attrs', join(data, 'Beauty_item2attributes.json'),
    ...TRAIN_FLAGS, '--out', dir], { cwd: join(root, 'packages', 'cli'), stdio: 'inherit' });
  if (t.status !== 0 || !existsSync(join(dir, 'manifest.json'))) {
    console.log('Training failed: starting without a model (lists keep the shop\'s order).');
    return null;
  }
  writeFileSync(join(dir, STAMP), stamp());
  return dir;
}
