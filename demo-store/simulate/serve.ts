/**
 * Builds the demo store (production build, same as the e2e fixtures) with the model from `model.mjs`
 * (trained on first use) and serves it with `vite preview` on a free port of 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../../e2e/support/build-sdk.mjs';
// @ts-expect-error plain ESM helper without types
import { ensureModel } from '../model.mjs';

const storeDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface Served { origin: string; modelDir: string; close(): Promise<void> }

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function serveStore(log: (s: string) => void): Promise<Served> {
  log('building the SDK if its sources changed…');
  ensureSdkBuilt();
  const modelDir = (ensureModel as () => string | null)();
  if (!modelDir) throw new Error('no model: the simulation compares the shop order with the model\'s');
  process.env.PERCH_MODEL_DIR = modelDir;
  log(`building the store (model ${modelDir})…`);
  const outDir = mkdtempSync(join(tmpdir(), 'perch-sim-store-'));
  const vite = await import('vite');
  const configFile = join(storeDir, 'vite.config.ts');
  await vite.build({ configFile, root: storeDir, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const port = await freePort();
  const server = await vite.preview({ configFile, root: storeDir, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true } });
  return {
    origin: `http://127.0.0.1:${port}`,
    modelDir,
    close: async () => {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
