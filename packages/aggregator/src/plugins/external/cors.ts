/**
 * CORS for the shop's origins (@fastify/cors; allow-list from the config, '*' allows any). Browser uploads are
 * binary POSTs, so they are preflighted: OPTIONS answers with the allowed methods and headers (`Authorization` carries
 * the per-round credential of the secure-aggregation steps, which advertise's answers issue in an exposed header). Origins outside
 * the list get no CORS headers at all, and the browser blocks the response. The headers are set on request, so
 * refusals (problem+json, 413, 429) carry them too and a shop page can read why.
 */
import cors from '@fastify/cors';
import fp from 'fastify-plugin';
import { SECAGG_TOKEN_HEADER } from '@perch/learn/secagg';

export default fp<{ origins: string[] }>(async (app, { origins }) => {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  await app.register(cors, {
    origin: any ? '*' : (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ['Content-Type', 'Idempotency-Key', 'If-None-Match', 'Authorization'],
    exposedHeaders: ['ETag', 'Retry-After', 'Idempotent-Replayed', SECAGG_TOKEN_HEADER],
    maxAge: 600,
    strictPreflight: false,
  });
});
