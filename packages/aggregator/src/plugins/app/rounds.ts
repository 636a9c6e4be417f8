/** Opens the store, loads the signing key, starts the round service, and closes both with the app. */
import { PostgresStore } from '../../store/postgres.js';
import { SqliteStore } from '../../store/sqlite.js';
import { defaultKeyPath, loadSigningKey, type SigningKey } from '../../signing/key.js';
import type { AggregatorStore } from '../../store/types.js';
import { RoundService } from '../../rounds/round-service.js';
import type { AggregatorConfig } from '../../config.js';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    store: AggregatorStore;
    rounds: RoundService;
    signingKey: SigningKey;
  }
}

export default fp<{ config: AggregatorConfig; store?: AggregatorStore; signingKey?: SigningKey }>(async (app, { config, store: given, signingKey }) => {
  // Default: `<db>.signing-key.json`, created on first start; an in-memory database gets an ephemeral key.
  const key = signingKey ?? loadSigningKey(defaultKeyPath(config.dbPath));
  const store = given ?? (config.databaseUrl ? new PostgresStore(config.databaseUrl) : new SqliteStore(config.dbPath));
  await store.init();
  const rounds = new RoundService(store, config, app.log, key);
  await rounds.start();
  app.decorate('store', store);
  app.decorate('rounds', rounds);
  app.decorate('signingKey', key);
  app.addHook('onClose', async () => {
    await rounds.stop();
    await store.close();
  });
});
