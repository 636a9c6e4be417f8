/** Per-client-IP rate limit (@fastify/rate-limit); refusals are problem+json 429 with Retry-After. */
import rateLimit from '@fastify/rate-limit';
import { problems } from '../../problem.js';
import fp from 'fastify-plugin';

export default fp<{ max: number; timeWindowMs: number }>(async (app, { max, timeWindowMs }) => {
  await app.register(rateLimit, {
    max,
    timeWindow: timeWindowMs,
    errorResponseBuilder: (_req, ctx) => problems.rateLimited(`rate limit of ${ctx.max} requests per ${Math.round(timeWindowMs / 1000)} s exceeded; retry in ${ctx.after}`, Math.ceil(ctx.ttl / 1000)),
  });
});
