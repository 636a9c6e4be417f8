/**
 * Model distribution. The manifest names the current version and the sha256 of every file; files are
 * content-addressed (`/v1/model/files/<sha256>`), so they never change and are cached for a year, while the
 * manifest is revalidated on every fetch (ETag = sha256 of its bytes, If-None-Match → 304).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { problems } from '../../problem.js';
import { FileParams, VersionParams } from '../../schemas/model.js';
import type { ModelVersion } from '../../store/types.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** RFC 9110 If-None-Match (weak comparison): true if `etag` matches one listed or '*'. */
function notModified(req: FastifyRequest, etag: string): boolean {
  const h = req.headers['if-none-match'];
  if (!h) return false;
  return h.split(',').map((s) => s.trim().replace(/^W\//, '')).some((t) => t === '*' || t === etag);
}

function sendManifest(req: FastifyRequest, reply: FastifyReply, v: ModelVersion, cache: string) {
  const etag = `"${v.manifestSha256}"`;
  reply.header('ETag', etag).header('Cache-Control', cache);
  if (notModified(req, etag)) return reply.code(304).send();
  return reply.type('application/json').send(Buffer.from(v.manifestBytes));
}

const routes: FastifyPluginAsync = async (app) => {
  app.get('/v1/model/manifest.json', async (req, reply) => {
    const v = await app.store.latestVersion();
    if (!v) throw problems.notFound('no model published yet');
    // no-cache: caches may keep it but must revalidate, so a new version is seen on the next poll.
    return sendManifest(req, reply, v, 'no-cache');
  });

  app.get<{ Params: VersionParams }>('/v1/model/versions/:version/manifest.json', { schema: { params: VersionParams } }, async (req, reply) => {
    const v = await app.store.getVersion(req.params.version);
    if (!v) throw problems.notFound(`model version ${req.params.version} does not exist`);
    return sendManifest(req, reply, v, IMMUTABLE);
  });

  app.get<{ Params: FileParams }>('/v1/model/files/:sha256', { schema: { params: FileParams } }, async (req, reply) => {
    const f = await app.store.getFile(req.params.sha256);
    if (!f) throw problems.notFound(`no file with sha256 ${req.params.sha256}`);
    const etag = `"${f.sha256}"`;
    reply.header('ETag', etag).header('Cache-Control', IMMUTABLE);
    if (notModified(req, etag)) return reply.code(304).send();
    return reply.type(f.contentType).send(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength));
  });
};

export default routes;
