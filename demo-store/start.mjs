// `npm start`: the aggregator (127.0.0.1:8787, SQLite under .perch-data/) and the demo store (127.0.0.1:5173)
// on embedded defaults, no external service. Ports: PERCH_AGG_PORT, PERCH_STORE_PORT. Ctrl-C stops both.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, '.perch-data');
mkdirSync(dataDir, { recursive: true });
const aggPort = process.env.PERCH_AGG_PORT ?? '8787';
const storePort = process.env.PERCH_STORE_PORT ?? '5173';
const modelDir = process.env.PERCH_MODEL_DIR ?? join(dataDir, 'model');

// First start: no model yet → train a small one with the real trainer CLI (first 4,000 shoppers of Amazon
// Beauty, one epoch, at most 60 s of training, progress on stderr) and export it; later starts reuse it.
// PERCH_SKIP_TRAIN=1 starts without a model (lists then keep the shop's order).
if (!existsSync(join(modelDir, 'manifest.json')) && process.env.PERCH_SKIP_TRAIN !== '1') {
  const data = process.env.PERCH_DATA ?? join(root, '..', 'shared', 'data', 'amazon-beauty');
  const slice = join(dataDir, 'beauty-slice.txt');
  writeFileSync(slice, readFileSync(join(data, 'Beauty.txt'), 'utf8').split('\n').slice(0, 4000).join('\n') + '\n');
  console.log(`No model in ${modelDir}: training a small one (first start only, about 2 minutes)…`);
  const t = spawnSync('nice', ['-n', '10', join(root, 'node_modules', '.bin', 'tsx'), 'src/cli.ts', 'train', '--data', slice, '--attrs', join(data, 'Beauty_item2attributes.json'),
    '--epochs', '1', '--threads', '1', '--max-seconds', '60', '--seed', '1', '--out', modelDir], { cwd: join(root, 'packages', 'trainer'), stdio: 'inherit' });
  if (t.status !== 0) console.log('Training failed: starting without a model (lists keep the shop\'s order).');
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
const children = [];
function run(name, cmd, args, cwd) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PERCH_STORE_PORT: storePort, VITE_PERCH_AGGREGATOR: `http://127.0.0.1:${aggPort}` } });
  const prefix = (chunk) => chunk.toString().split('\n').filter(Boolean).map((l) => `[${name}] ${l}`).join('\n') + '\n';
  child.stdout.on('data', (c) => process.stdout.write(prefix(c)));
  child.stderr.on('data', (c) => process.stderr.write(prefix(c)));
  child.on('exit', (code) => {
    console.log(`[${name}] exited with ${code}`);
    shutdown(code ?? 1);
  });
  children.push(child);
}

let stopping = false;
function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

const aggArgs = ['src/server.ts', '--host', '127.0.0.1', '--port', aggPort, '--db', join(dataDir, 'aggregator.db')];
if (existsSync(join(modelDir, 'manifest.json'))) aggArgs.push('--model', modelDir);
run('aggregator', bin('tsx'), aggArgs, join(root, 'packages', 'aggregator'));
run('store', bin('vite'), ['--host', '127.0.0.1', '--port', storePort, '--strictPort'], join(root, 'demo-store'));
console.log(`\nPerch demo store:  http://127.0.0.1:${storePort}/\nPerch aggregator:  http://127.0.0.1:${aggPort}/v1/round\n`);
