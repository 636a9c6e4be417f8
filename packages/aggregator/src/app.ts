/**
 * The aggregator as a Fastify plugin (fastify/demo shape): external plugins (CORS, rate limit), then app
 * plugins (errors, store + rounds), then routes per resource. `server.ts` adds listening, the logger and
 * graceful close; tests call `buildApp()` and `inject()`.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cors from './plugins/external/cors.js';
import rateLimit from './plugins/external/rate-limit.js';
import errors from './plugins/app/errors.js';
import rounds from './plugins/app/rounds.js';
import modelRoutes from './routes/model/index.js';
import roundRoutes from './routes/round/index.js';
import healthRoutes from './routes/health/index.js';
import logRoutes from './routes/log/index.js';
import type { AggregatorConfig } from './config.js';
import type { AggregatorStore } from './store/types.js';
import type { SigningKey } from './signing/key.js';
import fp from 'fastify-plugin';

/** `signingKey`: the key that signs versions (default: `<db>.signing-key.json`, created if absent; signing/key.ts). */
export interface AppOptions extends Record<string, unknown> { config: AggregatorConfig; store?: AggregatorStore; signingKey?: SigningKey }

export default async function app(instance: FastifyInstance, opts: AppOptions): Promise<void> {
  await instance.register(cors, { origins: opts.config.corsOrigins });
  await instance.register(rateLimit, opts.config.rateLimit);
  await instance.register(errors);
  await instance.register(rounds, { config: opts.config, store: opts.store, signingKey: opts.signingKey });
  await instance.register(modelRoutes);
  await instance.register(roundRoutes);
  await instance.register(healthRoutes);
  await instance.register(logRoutes);
}

/** Fastify options shared by the server and tests: Ajv drops unknown fields, as in fastify/demo. */
export const fastifyOptions = (extra: FastifyServerOptions = {}): FastifyServerOptions => ({
  ajv: { customOptions: { removeAdditional: 'all', coerceTypes: true } },
  ...extra,
});

/** A ready app (not listening). */
export async function buildApp(opts: AppOptions, server: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const f = Fastify(fastifyOptions(server));
  // Non-encapsulated so that callers (tests, the simulator) see `store` and `rounds` on the instance.
  await f.register(fp(app), opts);
  await f.ready();
  return f;
}
