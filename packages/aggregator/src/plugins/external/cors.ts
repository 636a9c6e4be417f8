/**
 * CORS for the shop's origins (allow-list from the config; '*' allows any). Browser uploads are binary
 * POSTs, so they are preflighted: OPTIONS answers with the allowed methods and headers. Origins outside the
 * list get no CORS headers at all, and the browser blocks the response.
 */
import { root } from '../root.js';

export default root<{ origins: string[] }>(async (app, { origins }) => {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin || !(any || allowed.has(origin))) return;
    reply.header('Access-Control-Allow-Origin', any ? '*' : origin);
    reply.header('Vary', 'Origin');
    reply.header('Access-Control-Expose-Headers', 'ETag, Retry-After, Idempotent-Replayed');
    if (req.method === 'OPTIONS') {
      reply.header('Access-Control-Allow-Methods', 'GET, POST');
      reply.header('Access-Control-Allow-Headers', 'Content-Type, Idempotency-Key, If-None-Match');
      reply.header('Access-Control-Max-Age', '600');
      await reply.code(204).send();
    }
  });
  // Preflight requests need a route to reach the hook for any path.
  app.options('*', async (_req, reply) => reply.code(204).send());
});
