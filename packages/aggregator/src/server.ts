/**
 * Entry point: `tsx src/server.ts [--host 127.0.0.1] [--port 8787] [--db FILE] [--model DIR] [--signing-key FILE] ...`
 * (all flags in config.ts; the signing key's in signing/key.ts). Listens, logs JSON, and closes gracefully on SIGTERM/SIGINT: stops accepting,
 * finishes in-flight requests, stops the round timers and closes the database.
 */
import { buildApp } from './app.js';
import { parseServerArgs } from './config.js';
import { defaultKeyPath, loadSigningKey } from './signing/key.js';
import { SqliteDriverMissing } from './store/sqlite-driver.mjs';

const config = parseServerArgs(process.argv.slice(2), process.env);
const signingKey = loadSigningKey(config.signingKeyPath ?? defaultKeyPath(config.dbPath));
const app = await buildApp({ config, signingKey }, {
  logger: {
    level: process.env.PERCH_AGG_LOG ?? 'info',
    // Minimisation: request logs carry method, path and status only, never the client's IP address or port.
    serializers: { req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }) },
  },
  connectionTimeout: 30_000,
  requestTimeout: 30_000,
}).catch((err: unknown) => {
  // No SQLite driver on this runtime: one line saying what to do, not a stack.
  if (!(err instanceof SqliteDriverMissing)) throw err;
  console.error(err.message);
  process.exit(1);
});

let closing = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'closing');
    app.close().then(() => process.exit(0), (err: unknown) => { app.log.error({ err }, 'close failed'); process.exit(1); });
  });
}

const address = await app.listen({ host: config.host, port: config.port });
// One machine-readable line for scripts and tests that start the server on port 0; pages pin `modelKey.publicKey`.
console.log(JSON.stringify({ event: 'listening', address, db: config.dbPath, modelKey: { keyId: signingKey.keyId, publicKey: signingKey.publicKey } }));
