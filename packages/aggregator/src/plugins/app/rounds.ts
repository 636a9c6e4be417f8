/** Opens the store, starts the round service, and closes both with the app. */
import { SqliteStore } from '../../store/sqlite.js';
import type { AggregatorStore } from '../../store/types.js';
import { RoundService } from '../../rounds/round-service.js';
import type { AggregatorConfig } from '../../config.js';
import { root } from '../root.js';

declare module 'fastify' {
  interface FastifyInstance {
    store: AggregatorStore;
    rounds: RoundService;
  }
}

export default root<{ config: AggregatorConfig; store?: AggregatorStore }>(async (app, { config, store: given }) => {
  const store = given ?? new SqliteStore(config.dbPath);
  await store.init();
  const rounds = new RoundService(store, config, app.log);
  await rounds.start();
  app.decorate('store', store);
  app.decorate('rounds', rounds);
  app.addHook('onClose', async () => {
    await rounds.stop();
    await store.close();
  });
});
