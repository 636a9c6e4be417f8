/**
 * The version log (`@perch/model/export/log.ts`): every published manifest is an entry of a hash chain, and
 * devices check that the versions they are served extend what they accepted before.
 *
 *   GET /v1/log/checkpoint           the newest {index, head}, signed with the current key (no-cache)
 *   GET /v1/log/leaves?from=a&to=b   leaf hashes of entries [a, b), at most MAX_LEAVES_PAGE per answer
 *                                    (the answer's `to` says where it stopped); immutable once in the log
 *
 * A range that is empty or reaches past the log's end is refused (400, problem+json).
 */
import type { FastifyPluginAsync } from 'fastify';
import { MAX_LEAVES_PAGE, signCheckpoint, type Checkpoint as CheckpointDoc } from '@perch/model/export';
import { Problem, problems } from '../../problem.js';
import { Checkpoint, Leaves, LeavesQuery } from '../../schemas/log.js';

const routes: FastifyPluginAsync = async (app) => {
  let signed: CheckpointDoc | undefined; // the newest checkpoint, signed once per head

  app.get('/v1/log/checkpoint', { schema: { response: { 200: Checkpoint } } }, async (_req, reply) => {
    const head = await app.store.logHead();
    if (!head) throw problems.notFound('the version log is empty (no signed version published yet)');
    if (signed?.index !== head.index || signed.head !== head.head || signed.signature.keyId !== app.signingKey.keyId) {
      signed = await signCheckpoint({ index: head.index, head: head.head }, app.signingKey);
    }
    reply.header('Cache-Control', 'no-cache');
    return signed;
  });

  app.get<{ Querystring: LeavesQuery }>('/v1/log/leaves', { schema: { querystring: LeavesQuery, response: { 200: Leaves } } }, async (req, reply) => {
    const { from, to } = req.query;
    const size = ((await app.store.logHead())?.index ?? -1) + 1;
    if (!(from < to && to <= size)) throw new Problem(400, 'log-range', 'Log range out of bounds', `entries [${from}, ${to}) are not in the log (size ${size})`, { size });
    const end = Math.min(to, from + MAX_LEAVES_PAGE);
    reply.header('Cache-Control', 'public, max-age=31536000, immutable');
    return { from, to: end, leaves: await app.store.logLeaves(from, end) };
  });
};

export default routes;
