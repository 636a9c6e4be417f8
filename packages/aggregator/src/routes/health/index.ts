/** Liveness and a one-line summary for operators. */
import type { FastifyPluginAsync } from 'fastify';

const routes: FastifyPluginAsync = async (app) => {
  app.get('/health', async (_req, reply) => {
    const [v, r] = await Promise.all([app.store.latestVersion(), app.store.currentRound()]);
    reply.header('Cache-Control', 'no-store');
    return { status: 'ok', modelVersion: v?.version ?? null, roundId: r?.id ?? null, roundStatus: r?.status ?? null };
  });
};

export default routes;
