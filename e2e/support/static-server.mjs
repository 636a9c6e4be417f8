// A small static HTTP server on 127.0.0.1 for the browser suites and benchmarks: serves the SDK's
// built files under /dist/, comlink under /vendor/ (for the npm build), and pages a test registers. Query flags on any URL:
//   ?delay=MS  hold the response (e.g. to load the loader after the page's queued calls)
//   ?csp=...   send that Content-Security-Policy header (e.g. "worker-src 'none'")
//   ?coi=1     cross-origin isolate the page (COOP/COEP), which gives performance.now() 5 µs resolution
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SDK_DIST = join(root, 'packages', 'sdk', 'dist');
// The npm build leaves `comlink` as a bare import; pages map it here with an import map.
const VENDOR = { '/vendor/comlink.mjs': join(root, 'packages', 'sdk', 'node_modules', 'comlink', 'dist', 'esm', 'comlink.mjs') };
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json', '.html': 'text/html', '.json': 'application/json' };

/**
 * Starts the server. `pages` maps a path ("/p/x.html") to HTML; more can be added later with `page()`.
 * @returns {Promise<{ origin: string, page(path: string, html: string): string, close(): Promise<void> }>}
 */
export async function startStaticServer(pages = {}) {
  const mem = new Map(Object.entries(pages));
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const delay = Number(url.searchParams.get('delay') ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, Math.min(delay, 10_000)));
    const headers = { 'Cache-Control': 'no-store' };
    const csp = url.searchParams.get('csp');
    if (csp) headers['Content-Security-Policy'] = csp;
    if (url.searchParams.get('coi') === '1') {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    let body;
    if (mem.has(url.pathname)) body = mem.get(url.pathname);
    else if (VENDOR[url.pathname]) body = await readFile(VENDOR[url.pathname]).catch(() => undefined);
    else if (url.pathname.startsWith('/dist/')) {
      const file = normalize(join(SDK_DIST, url.pathname.slice('/dist/'.length)));
      if (file.startsWith(SDK_DIST + sep)) body = await readFile(file).catch(() => undefined);
    }
    if (body === undefined) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    const type = TYPES[extname(url.pathname)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    page(path, html) { mem.set(path, html); return origin + path; },
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}
