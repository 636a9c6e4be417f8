// HTTP server on 127.0.0.1 for the reranking suites and bench: the SDK build (/dist/), comlink (/vendor/),
// tfjs-backend-wasm's binaries (/wasm/), the model export (/model/, with ETag / If-None-Match like a CDN)
// and registered pages. `model` controls what the model URLs serve: a patched manifest (a new version),
// a tampered file, or nothing at all (a model that never loads).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { wasmDistDir } from '../../support/model-bench/server.js';
// @ts-expect-error plain ESM helper without types
import { SDK_DIST } from '../../support/static-server.mjs';

const COMLINK = join(SDK_DIST, '..', 'node_modules', 'comlink', 'dist', 'esm', 'comlink.mjs');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.map': 'application/json' };

export interface ModelControl {
  /** Fields merged into manifest.json (e.g. a new modelVersion: a new model that must be downloaded). */
  manifestPatch?: Record<string, unknown>;
  /** File whose bytes are corrupted in transit (one byte flipped). */
  tamper?: string;
  /** Model URLs answer 503 (a model that never loads / offline). */
  down?: boolean;
  /** Hold every model response this long (ms). */
  delayMs?: number;
}

export interface RerankServer {
  origin: string;
  modelDir: string;
  model: ModelControl;
  /** Send COOP/COEP on every response (cross-origin isolation, for the bench's timers and memory API). */
  isolated: boolean;
  /** Model requests seen: path and status. */
  log: { path: string; status: number }[];
  page(path: string, html: string): string;
  close(): Promise<void>;
}

const etagOf = (b: Buffer | Uint8Array): string => `"${createHash('sha256').update(b).digest('hex').slice(0, 32)}"`;

async function modelFile(dir: string, rel: string, ctl: ModelControl): Promise<Buffer | undefined> {
  const file = normalize(join(dir, rel));
  if (!file.startsWith(dir + sep)) return undefined;
  let body = await readFile(file).catch(() => undefined);
  if (!body) return undefined;
  if (rel === 'manifest.json' && ctl.manifestPatch) body = Buffer.from(JSON.stringify({ ...JSON.parse(body.toString('utf8')), ...ctl.manifestPatch }));
  if (rel === ctl.tamper) {
    body = Buffer.from(body);
    body[body.length >> 1] = (body[body.length >> 1] as number) ^ 0xff;
  }
  return body;
}

export async function startRerankServer(modelDir: string): Promise<RerankServer> {
  const pages = new Map<string, string>();
  const wasm = wasmDistDir();
  const state: RerankServer = { origin: '', modelDir, model: {}, isolated: false, log: [], page: () => '', close: async () => undefined };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    const headers: Record<string, string> = { 'Cache-Control': 'no-cache', 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream' };
    if (state.isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    let body: Buffer | string | undefined;
    if (path.startsWith('/model/')) {
      const ctl = state.model;
      if (ctl.delayMs) await new Promise((r) => setTimeout(r, ctl.delayMs));
      const rel = path.slice('/model/'.length);
      if (ctl.down) {
        state.log.push({ path: rel, status: 503 });
        return void res.writeHead(503, headers).end('down');
      }
      body = await modelFile(modelDir, rel, ctl);
      if (body) {
        const etag = etagOf(body);
        headers.ETag = etag;
        if (req.headers['if-none-match'] === etag) {
          state.log.push({ path: rel, status: 304 });
          return void res.writeHead(304, headers).end();
        }
      }
      state.log.push({ path: rel, status: body ? 200 : 404 });
    } else if (pages.has(path)) body = pages.get(path);
    else if (path === '/vendor/comlink.mjs') body = await readFile(COMLINK).catch(() => undefined);
    else {
      const [base, rel] = path.startsWith('/wasm/') ? [wasm, path.slice(6)] : path.startsWith('/dist/') ? [SDK_DIST as string, path.slice(6)] : ['', ''];
      const file = normalize(join(base, rel));
      if (base && file.startsWith(base + sep)) body = await readFile(file).catch(() => undefined);
    }
    if (body === undefined) return void res.writeHead(404, headers).end('not found');
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.page = (p, html) => (pages.set(p, html), state.origin + p);
  state.close = () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); });
  return state;
}
