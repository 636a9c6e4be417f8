/**
 * Every error leaves as RFC 9457 problem+json: our own `Problem`s, and Fastify's (body too large, bad media
 * type, schema validation) mapped to the matching status. Unknown errors are 500 without internals.
 */
import type { FastifyError } from 'fastify';
import { Problem, PROBLEM_CONTENT_TYPE, problems } from '../../problem.js';
import fp from 'fastify-plugin';

function toProblem(err: FastifyError): Problem {
  if (err instanceof Problem) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) return problems.tooLarge(err.message);
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 415) return problems.unsupportedMedia(err.message);
  if (err.validation || (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)) {
    return new Problem(err.statusCode ?? 400, 'about:blank', 'Bad Request', err.message);
  }
  return new Problem(500, 'about:blank', 'Internal Server Error', 'unexpected error');
}

export default fp(async (app) => {
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const p = toProblem(err);
    if (p.status >= 500) req.log.error({ err }, 'request failed');
    if (p.status === 429 && typeof p.extra.retryAfter === 'number') reply.header('Retry-After', String(p.extra.retryAfter));
    return reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send(p.body());
  });
  // Rate-limited so that probing for valid URLs costs the prober, as in fastify/demo.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, async (req, reply) => {
    const p = problems.notFound(`no route for ${req.method} ${req.url.split('?')[0]}`);
    return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(p.body());
  });
});
