/**
 * Model distribution, in the export format of `@perch/model/export` (manifest.json lists every file with its
 * sha256; clients verify with `loadExport`). Paths in the manifest are relative, so every version is also a
 * folder:
 *
 *   /v1/model/manifest.json                    current manifest: ETag, If-None-Match → 304, revalidated on every use
 *   /v1/model/<path>                           file of the current version (ETag = its sha256; may change at a publish)
 *   /v1/model/versions/<n>/manifest.json       manifest of version n, immutable
 *   /v1/model/versions/<n>/<path>              file of version n, immutable
 *   /v1/model/files/<sha256>                   any file by content hash, immutable
 *
 * Clients that read the current manifest should fetch its files from `versions/<modelVersion>/` (or by hash):
 * those URLs never change, so a publish between two requests cannot mix versions.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { problems } from '../../problem.js';
import { FileParams, PathParams, VersionParams, VersionPathParams } from '../../schemas/model.js';
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
  async function sendFile(req: FastifyRequest, reply: FastifyReply, sha256: string, cache: string) {
    const f = await app.store.getFile(sha256);
    if (!f) throw problems.notFound(`no file with sha256 ${sha256}`);
    const etag = `"${f.sha256}"`;
    reply.header('ETag', etag).header('Cache-Control', cache);
    if (notModified(req, etag)) return reply.code(304).send();
    return reply.type(f.contentType).send(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength));
  }
  async function version(n?: number): Promise<ModelVersion> {
    const v = n === undefined ? await app.store.latestVersion() : await app.store.getVersion(n);
    if (!v) throw problems.notFound(n === undefined ? 'no model published yet' : `model version ${n} does not exist`);
    return v;
  }
  const byPath = (v: ModelVersion, path: string): string => {
    const f = v.manifest.files.find((x) => x.path === path);
    if (!f) throw problems.notFound(`version ${v.version} has no file ${path}`);
    return f.sha256;
  };

  // no-cache: caches may keep it but must revalidate, so a new version is seen on the next poll.
  app.get('/v1/model/manifest.json', async (req, reply) => sendManifest(req, reply, await version(), 'no-cache'));

  app.get<{ Params: PathParams }>('/v1/model/:path', { schema: { params: PathParams } }, async (req, reply) =>
    sendFile(req, reply, byPath(await version(), req.params.path), 'no-cache'));

  app.get<{ Params: VersionParams }>('/v1/model/versions/:version/manifest.json', { schema: { params: VersionParams } }, async (req, reply) =>
    sendManifest(req, reply, await version(req.params.version), IMMUTABLE));

  app.get<{ Params: VersionPathParams }>('/v1/model/versions/:version/:path', { schema: { params: VersionPathParams } }, async (req, reply) =>
    sendFile(req, reply, byPath(await version(req.params.version), req.params.path), IMMUTABLE));

  app.get<{ Params: FileParams }>('/v1/model/files/:sha256', { schema: { params: FileParams } }, async (req, reply) =>
    sendFile(req, reply, req.params.sha256, IMMUTABLE));
};

export default routes;
