// The demo store: a Vite app that integrates Perch exactly as a shop would (script-tag snippet + track + rerank).
// The catalog comes from ../shared/data/amazon-beauty at dev/build time (never copied into the repo); the SDK's
// built files (loader, worker, wasm) are served under /perch/ from packages/sdk/dist.
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';
import { buildCatalog } from './src/catalog/build.js';
// The snippet a shop pastes into <head> (the SDK's build-time helper, like partytown's integration entry).
import { snippet } from '@perch/sdk';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = resolve(here, process.env.PERCH_DATA ?? '../../shared/data/amazon-beauty');
const sdkDist = resolve(here, '../packages/sdk/dist');
// A trained model export (manifest.json + files), served same-origin under /perch/model/ when present, and
// tfjs-backend-wasm's binaries under /perch/ (the SDK's default wasmPaths is its assetBase).
const modelDir = resolve(here, process.env.PERCH_MODEL_DIR ?? '../.perch-data/model');
const hasModel = existsSync(join(modelDir, 'manifest.json'));
const privacyDoc = resolve(here, '../docs/privacy.md');
function wasmDir(): string | undefined {
  try {
    return dirname(createRequire(resolve(here, '../packages/model/package.json')).resolve('@tensorflow/tfjs-backend-wasm'));
  } catch {
    return undefined;
  }
}
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
        if (url === '/docs/privacy.md' && existsSync(privacyDoc)) {
          res.setHeader('content-type', 'text/plain; charset=utf-8');
          createReadStream(privacyDoc).pipe(res);
          return;
        }
        if (url.startsWith('/perch/')) {
          const rel = url.slice('/perch/'.length);
          const wasm = wasmDir();
          const [base, name] = rel.startsWith('model/') ? [modelDir, rel.slice(6)] : rel.endsWith('.wasm') && wasm ? [wasm, rel] : [sdkDist, rel];
          const file = resolve(base, name);
          if (file.startsWith(base) && existsSync(file) && statSync(file).isFile()) {
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
      if (hasModel) for (const f of readdirSync(modelDir)) this.emitFile({ type: 'asset', fileName: `perch/model/${f}`, source: readFileSync(join(modelDir, f)) });
      const wasm = wasmDir();
      if (wasm) for (const f of readdirSync(wasm).filter((n) => n.endsWith('.wasm'))) this.emitFile({ type: 'asset', fileName: `perch/${f}`, source: readFileSync(join(wasm, f)) });
      if (existsSync(privacyDoc)) this.emitFile({ type: 'asset', fileName: 'docs/privacy.md', source: readFileSync(privacyDoc) });
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [perchDemo()],
  // The store passes modelUrl to init() only when a model is served (else rerank() keeps the shop's order).
  define: { __PERCH_MODEL_URL__: JSON.stringify(hasModel ? '/perch/model/manifest.json' : '') },
  server: { host: '127.0.0.1', port: Number(process.env.PERCH_STORE_PORT ?? 5173), strictPort: true },
  preview: { host: '127.0.0.1', port: Number(process.env.PERCH_STORE_PORT ?? 5173), strictPort: true },
});
