// The demo store: a Vite app that integrates Perch exactly as a shop would (script-tag snippet + track + rerank).
// The catalog comes from ../shared/data/amazon-beauty at dev/build time (never copied into the repo); the SDK's
// built files (loader, worker, wasm) are served under /perch/ from packages/sdk/dist.
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { buildCatalog } from './src/catalog/build.ts';
// The snippet a shop pastes into <head> (the SDK's build-time helper, like partytown's integration entry).
import { snippet } from '../packages/sdk/src/snippet/snippet.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = resolve(here, process.env.PERCH_DATA ?? '../../shared/data/amazon-beauty');
const sdkDist = resolve(here, '../packages/sdk/dist');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.map': 'application/json', '.bin': 'application/octet-stream' };

function perchDemo(): Plugin {
  let catalogJson: string | undefined;
  const catalog = () => (catalogJson ??= JSON.stringify(buildCatalog(join(dataDir, 'Beauty_item2attributes.json'), join(dataDir, 'Beauty.txt'))));
  return {
    name: 'perch-demo',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0] ?? '';
        if (url === '/catalog.json') {
          res.setHeader('content-type', 'application/json');
          res.setHeader('cache-control', 'no-cache');
          res.end(catalog());
          return;
        }
        if (url.startsWith('/perch/')) {
          const file = resolve(sdkDist, '.' + url.slice('/perch'.length));
          if (file.startsWith(sdkDist) && existsSync(file) && statSync(file).isFile()) {
            res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
            createReadStream(file).pipe(res);
            return;
          }
        }
        next();
      });
    },
    transformIndexHtml(html) {
      return html.replace(/<!-- perch-snippet[^>]*-->/, `<script>${snippet('/perch/perch.iife.js')}</script>`);
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'catalog.json', source: catalog() });
      if (!existsSync(sdkDist)) return;
      const walk = (dir: string, rel: string): void => {
        for (const f of readdirSync(dir)) {
          const p = join(dir, f);
          if (statSync(p).isDirectory()) walk(p, `${rel}${f}/`);
          else this.emitFile({ type: 'asset', fileName: `perch/${rel}${f}`, source: readFileSync(p) });
        }
      };
      walk(sdkDist, '');
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [perchDemo()],
  server: { host: '127.0.0.1', port: Number(process.env.PERCH_STORE_PORT ?? 5173), strictPort: true },
  preview: { host: '127.0.0.1', port: Number(process.env.PERCH_STORE_PORT ?? 5173), strictPort: true },
});
