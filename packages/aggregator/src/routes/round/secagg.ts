/**
 * The four steps of a secure-aggregation round (docs/secure-aggregation.md), each a POST that is answered once
 * the message is on disk: 200 with the next step's request when the stage has closed (the POST is held open up
 * to the round's `longPollMs` for that), else 202 with Retry-After, and the device re-sends the same bytes.
 * Every body, and every 200 answer but unmask's, is a message of @perch/learn/secagg in its binary wire form
 * (`SECAGG_CONTENT_TYPE`); 202, unmask's answer and refusals are JSON. Every step but advertise carries
 * `Authorization: Bearer <token>`; advertise's answers carry the token in the `SECAGG_TOKEN_HEADER` header.
 *
 *   POST /v1/round/:id/secagg/advertise     AdvertiseKeys (empty sender)  → ShareKeysRequest
 *   POST /v1/round/:id/secagg/share-keys    ShareKeys                     → MaskedInputRequest
 *   POST /v1/round/:id/secagg/masked-input  MaskedInput (y packed)        → UnmaskRequest
 *   POST /v1/round/:id/secagg/unmask        Unmask                        → JSON {status: "done"}
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { rotationLayout, packedLength } from '@perch/learn/ddg';
import { SECAGG_CONTENT_TYPE, SECAGG_TOKEN_HEADER } from '@perch/learn/secagg';
import { PROBLEM_CONTENT_TYPE, problems } from '../../problem.js';
import { RoundParams } from '../../schemas/round.js';
import { secaggProblem, type SecAggRound, type StepAnswer } from '../../secagg/service.js';

/** Share keys and unmask: at most 255 envelopes (2 + 94 bytes) or shares (2 + 1 + 33 bytes) after a short header. */
const MESSAGE_LIMIT = 64 * 1024;
/** Room for the header (round id up to 255 bytes) and the sender index around the masked vector. */
const HEADER_ROOM = 512;

const mediaType = (v: string | undefined): string => (v ?? '').split(';')[0]!.trim().toLowerCase();

const routes: FastifyPluginAsync = async (app) => {
  app.addContentTypeParser(SECAGG_CONTENT_TYPE, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // A body over a step's limit is refused in the steps' own vocabulary; every other error goes on to the app's handler.
  app.setErrorHandler(async (err: FastifyError) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) throw secaggProblem('too-large', `${err.message}: larger than any message of this step can be`);
    throw err;
  });
  const maskedLimit = packedLength(rotationLayout(app.rounds.modelLayout.size).padded, 32) + HEADER_ROOM;

  const send = (reply: FastifyReply, out: StepAnswer) => {
    reply.header('Cache-Control', 'no-store');
    if (out.token !== undefined) reply.header(SECAGG_TOKEN_HEADER, out.token);
    if ('problem' in out) return reply.code(out.problem.status).type(PROBLEM_CONTENT_TYPE).send(out.problem.body());
    if (out.retryAfter !== undefined) reply.header('Retry-After', String(out.retryAfter));
    if (out.body instanceof Uint8Array) return reply.code(out.status).type(SECAGG_CONTENT_TYPE).send(Buffer.from(out.body.buffer, out.body.byteOffset, out.body.byteLength));
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

  const step = (path: string, bodyLimit: number, run: (r: SecAggRound, body: Uint8Array, auth: string | undefined) => Promise<StepAnswer>) =>
    app.post<{ Params: RoundParams }>(`/v1/round/:id/secagg/${path}`, { bodyLimit, schema: { params: RoundParams } }, async (req, reply) => {
      // Only the wire form: JSON, text and application/octet-stream (parsed by Fastify or the round routes) are refused.
      if (!Buffer.isBuffer(req.body) || mediaType(req.headers['content-type']) !== SECAGG_CONTENT_TYPE) {
        return send(reply, { problem: problems.unsupportedMedia(`send ${SECAGG_CONTENT_TYPE}: the ${path} message in the secure-aggregation wire form`) });
      }
      const r = await roundOr(req.params.id);
      if (!('roundId' in r)) return send(reply, r);
      return send(reply, await run(r, new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength), req.headers.authorization));
    });

  step('advertise', 1024, (r, body, auth) => r.advertise(body, auth));
  step('share-keys', MESSAGE_LIMIT, (r, body, auth) => r.shareKeys(body, auth));
  step('masked-input', maskedLimit, (r, body, auth) => r.maskedInput(body, auth));
  step('unmask', MESSAGE_LIMIT, (r, body, auth) => r.unmask(body, auth));
};

export default routes;
