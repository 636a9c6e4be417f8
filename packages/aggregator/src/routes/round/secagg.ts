/**
 * The four steps of a secure-aggregation round (docs/secure-aggregation.md), each a POST that is answered once
 * the message is on disk: 200 with the next step's request when the stage has closed (the POST is held open up
 * to the round's `longPollMs` for that), else 202 with Retry-After, and the device re-sends the same message.
 * Every step but advertise carries `Authorization: Bearer <token>` (issued in advertise's answer).
 *
 *   POST /v1/round/:id/secagg/advertise     JSON {cPk, sPk}               → {deviceId, token, request: ShareKeysRequest}
 *   POST /v1/round/:id/secagg/share-keys    JSON ShareKeys                → {request: MaskedInputRequest}
 *   POST /v1/round/:id/secagg/masked-input  binary: y packed at `bits`    → {request: UnmaskRequest}
 *   POST /v1/round/:id/secagg/unmask        JSON Unmask                   → {status: "done"}
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { rotationLayout, packedLength } from '@perch/learn/ddg';
import { PROBLEM_CONTENT_TYPE, problems } from '../../problem.js';
import { RoundParams } from '../../schemas/round.js';
import { secaggProblem, type SecAggRound, type StepAnswer } from '../../secagg/service.js';

/** JSON steps: at most 255 envelopes or shares of < 200 bytes each, with ids. */
const JSON_LIMIT = 128 * 1024;

const routes: FastifyPluginAsync = async (app) => {
  const maskedLimit = packedLength(rotationLayout(app.rounds.modelLayout.size).padded, 32);

  const send = (reply: FastifyReply, out: StepAnswer) => {
    reply.header('Cache-Control', 'no-store');
    if ('problem' in out) return reply.code(out.problem.status).type(PROBLEM_CONTENT_TYPE).send(out.problem.body());
    if (out.retryAfter !== undefined) reply.header('Retry-After', String(out.retryAfter));
    return reply.code(out.status).send(out.body);
  };

  /** The open secure-aggregation round `id`, or the problem to answer. */
  const roundOr = async (id: number): Promise<SecAggRound | StepAnswer> => {
    const r = app.rounds.secaggFor(id);
    if (r) return r;
    const row = await app.store.secaggRound(id);
    if (row) return { problem: secaggProblem('stage-closed', `round ${id} is over (${row.stage}${row.reason ? `: ${row.reason}` : ''})`, { stage: row.stage }) };
    if (await app.store.getRound(id)) return { problem: secaggProblem('not-secagg', `round ${id} takes plain uploads at /v1/round/${id}/updates`) };
    return { problem: problems.notFound(`round ${id} does not exist`) };
  };

  const json = (path: string, run: (r: SecAggRound, body: unknown, auth: string | undefined) => Promise<StepAnswer>) =>
    app.post<{ Params: RoundParams }>(`/v1/round/:id/secagg/${path}`, { bodyLimit: JSON_LIMIT, schema: { params: RoundParams } }, async (req, reply) => {
      if (Buffer.isBuffer(req.body) || typeof req.body !== 'object' || req.body === null) return send(reply, { problem: problems.unsupportedMedia('send application/json') });
      const r = await roundOr(req.params.id);
      if (!('roundId' in r)) return send(reply, r);
      return send(reply, await run(r, req.body, req.headers.authorization));
    });

  json('advertise', (r, body, auth) => r.advertise(body, auth));
  json('share-keys', (r, body, auth) => r.shareKeys(body, auth));
  json('unmask', (r, body, auth) => r.unmask(body, auth));

  app.post<{ Params: RoundParams; Body: Buffer }>('/v1/round/:id/secagg/masked-input', { bodyLimit: maskedLimit, schema: { params: RoundParams } }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) return send(reply, { problem: problems.unsupportedMedia('send application/octet-stream: the masked vector packed at the round\'s bits') });
    const r = await roundOr(req.params.id);
    if (!('roundId' in r)) return send(reply, r);
    return send(reply, await r.maskedInput(new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength), req.headers.authorization));
  });
};

export default routes;
