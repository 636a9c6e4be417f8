// `npm start`: the aggregator (127.0.0.1:8787, SQLite under .perch-data/) and the demo store (127.0.0.1:5173)
// on embedded defaults, no external service. Ports: PERCH_AGG_PORT, PERCH_STORE_PORT. Ctrl-C stops both.
// The aggregator's signing key (.perch-data/aggregator.db.signing-key.json) is made first, and the store pins its
// public key in federated mode (VITE_PERCH_MODEL_KEYS), so devices use only versions the aggregator signed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir, ensureModel, modelDir as modelDirOf, root } from './model.mjs';

mkdirSync(dataDir, { recursive: true });
const aggPort = process.env.PERCH_AGG_PORT ?? '8787';
const storePort = process.env.PERCH_STORE_PORT ?? '5173';
const modelDir = modelDirOf();

// First start: no model yet → train a small one with the real trainer CLI (model.mjs); later starts reuse it.
// PERCH_SKIP_TRAIN=1 starts without a model (lists then keep the shop's order).
ensureModel();

const bin = (name) => join(root, 'node_modules', '.bin', name);

// The signing key, created before anything starts (packages/aggregator/src/keys.ts). A database from before signing
// holds only unsigned versions, which pinned devices refuse: it is set aside and the aggregator starts afresh.
const dbFile = join(dataDir, 'aggregator.db');
const keyFile = `${dbFile}.signing-key.json`;
if (existsSync(dbFile) && !existsSync(keyFile)) {
  const aside = join(dataDir, `aggregator-unsigned-${Date.now()}.db`);
  for (const ext of ['', '-wal', '-shm']) if (existsSync(dbFile + ext)) renameSync(dbFile + ext, aside + ext);
  console.log(`[start] ${dbFile} predates signed versions: moved to ${aside}`);
}
const keys = spawnSync(bin('tsx'), [join(root, 'packages', 'aggregator', 'src', 'keys.ts'), keyFile], { encoding: 'utf8' });
if (keys.status !== 0) throw new Error(`signing key: ${keys.stderr}`);
const modelKey = JSON.parse(keys.stdout.trim());
const children = [];
function run(name, cmd, args, cwd) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PERCH_STORE_PORT: storePort, VITE_PERCH_AGGREGATOR: `http://127.0.0.1:${aggPort}`, VITE_PERCH_MODEL_KEYS: modelKey.publicKey } });
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

// The store's origin may call the aggregator (CORS), whatever port it runs on.
const aggArgs = ['src/server.ts', '--host', '127.0.0.1', '--port', aggPort, '--db', dbFile, '--signing-key', keyFile,
  '--cors', `http://127.0.0.1:${storePort},http://localhost:${storePort}`];
if (existsSync(join(modelDir, 'manifest.json'))) aggArgs.push('--model', modelDir);
run('aggregator', bin('tsx'), aggArgs, join(root, 'packages', 'aggregator'));
run('store', bin('vite'), ['--host', '127.0.0.1', '--port', storePort, '--strictPort'], join(root, 'demo-store'));
console.log(`\nPerch demo store:  http://127.0.0.1:${storePort}/\nPerch aggregator:  http://127.0.0.1:${aggPort}/v1/round\nModel signing key: ${modelKey.keyId} (pinned by the store in federated mode)\n`);
