/**
 * Marks a plugin as non-encapsulated (what `fastify-plugin` does), so its decorators and hooks apply to
 * the app that registers it.
 */
import type { FastifyPluginAsync } from 'fastify';

export function root<O extends Record<string, unknown>>(fn: FastifyPluginAsync<O>): FastifyPluginAsync<O> {
  (fn as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return fn;
}
