/**
 * The round resource: GET /v1/round describes the open round (what to train against, the privacy
 * parameters, the layout); POST /v1/round/:id/updates takes one binary update (wire format v1,
 * `application/vnd.perch.update.v1` or `application/octet-stream`). 202 means the update is on disk.
 */
import type { FastifyPluginAsync } from 'fastify';
import { UPDATE_CONTENT_TYPE } from '@perch/learn/update';
import { PROBLEM_CONTENT_TYPE, problems } from '../../problem.js';
import { RoundInfo, RoundParams, UploadAccepted } from '../../schemas/round.js';
import secaggRoutes from './secagg.js';

const routes: FastifyPluginAsync = async (app) => {
  app.addContentTypeParser([UPDATE_CONTENT_TYPE, 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get('/v1/round', { schema: { response: { 200: RoundInfo } } }, async (_req, reply) => {
    reply.header('Cache-Control', 'no-store');
    return app.rounds.info();
  });

  app.post<{ Params: RoundParams; Body: Buffer }>('/v1/round/:id/updates', {
    bodyLimit: app.rounds.maxBytes,
    schema: { params: RoundParams, response: { 202: UploadAccepted } },
  }, async (req, reply) => {
    const body = req.body;
    // Fastify parses JSON and text itself; anything that did not come through our binary parser is refused.
    if (!Buffer.isBuffer(body)) {
      const p = problems.unsupportedMedia(`use ${UPDATE_CONTENT_TYPE} or application/octet-stream`);
      return reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send(p.body());
    }
    const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    const out = await app.rounds.submit(req.params.id, bytes, req.headers['idempotency-key']);
    if ('problem' in out) return reply.code(out.problem.status).type(PROBLEM_CONTENT_TYPE).send(out.problem.body());
    if (out.replayed) reply.header('Idempotent-Replayed', 'true');
    return reply.code(out.status).send(out.body);
  });

  await app.register(secaggRoutes);
};

export default routes;
