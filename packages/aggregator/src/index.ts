/**
 * @perch/aggregator as a library: build the app (Fastify plugin, `inject()`-testable), its configuration, and the
 * signing key file the pages pin. `src/server.ts` is the process entry (listening, logging, graceful close).
 */
export { buildApp, fastifyOptions, type AppOptions } from './app.js';
export { defaultConfig, parseServerArgs, DEFAULT_ROUND, type AggregatorConfig, type RoundPolicy, type ServerConfig } from './config.js';
export { ensureKeyFile, readKeyFile, type KeyFile, type SigningKey } from './signing/key.js';
export type { AggregatorStore, ModelVersion, RoundRecord, UpdateRecord } from './store/types.js';
export { nodeSecAggBackend } from './secagg-backend.js';
export { openDatabase, sqliteDriverName, type SqliteDatabase } from './store/sqlite-driver.mjs';
