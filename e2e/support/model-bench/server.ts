// Static server on 127.0.0.1 for the model benchmark: the built worker at /, tfjs-backend-wasm's binaries at /wasm/.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

/** Folder of the wasm backend's .wasm files, resolved through the model package's dependency. */
export function wasmDistDir(): string {
  const req = createRequire(join(dirname(new URL(import.meta.url).pathname), '..', '..', '..', 'packages', 'model', 'package.json'));
  return dirname(req.resolve('@tensorflow/tfjs-backend-wasm'));
}

export interface BenchServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves `root` at / and the wasm binaries at /wasm/; anything outside those folders is a 404. */
export async function startBenchServer(root: string): Promise<BenchServer> {
  const wasm = wasmDistDir();
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const [base, rel] = path.startsWith('/wasm/') ? [wasm, path.slice(6)] : [root, path === '/' ? 'index.html' : path.slice(1)];
    const file = normalize(join(base, rel));
    if (!file.startsWith(base)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
