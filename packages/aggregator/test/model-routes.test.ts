import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { testApp } from './helper.js';
import type { Manifest } from '../src/store/types.js';
import { loadExport } from '@perch/model/export';
import { TINY_DIMS, tinyRandomModel } from '../src/publish/seed.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let close: (() => Promise<void>) | undefined;
afterEach(async () => { await close?.(); close = undefined; });

describe('model distribution', () => {
  it('serves the seed manifest with an ETag, and 304 on If-None-Match', async () => {
    const t = await testApp(); close = t.close;
    const r = await t.app.inject({ method: 'GET', url: '/v1/model/manifest.json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers.etag).toBe(`"${sha(r.rawPayload)}"`);
    const m = r.json() as Manifest;
    expect(m).toMatchObject({ format: 'perch-model-manifest', modelVersion: '1', model: 'model.json', vocab: 'vocab.json' });
    expect(m.files.map((f) => f.path)).toEqual(expect.arrayContaining(['model.json', 'vocab.json', 'group1-shard1of1.bin']));
    const again = await t.app.inject({ method: 'GET', url: '/v1/model/manifest.json', headers: { 'if-none-match': r.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const other = await t.app.inject({ method: 'GET', url: '/v1/model/manifest.json', headers: { 'if-none-match': '"abc", W/"def"' } });
    expect(other.statusCode).toBe(200);
  });

  it('serves every file by hash and by versioned path, immutable, with bytes that hash to the manifest value', async () => {
    const t = await testApp(); close = t.close;
    const m = (await t.app.inject({ method: 'GET', url: '/v1/model/manifest.json' })).json() as Manifest;
    for (const f of m.files) {
      for (const url of [`/v1/model/files/${f.sha256}`, `/v1/model/versions/1/${f.path}`, `/v1/model/${f.path}`]) {
        const r = await t.app.inject({ method: 'GET', url });
        expect(r.statusCode).toBe(200);
        expect(sha(r.rawPayload)).toBe(f.sha256);
        expect(r.rawPayload.length).toBe(f.bytes);
        expect(r.headers.etag).toBe(`"${f.sha256}"`);
        expect(r.headers['cache-control']).toBe(url.startsWith('/v1/model/versions/') || url.startsWith('/v1/model/files/') ? 'public, max-age=31536000, immutable' : 'no-cache');
        expect((await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': `"${f.sha256}"` } })).statusCode).toBe(304);
      }
    }
  });

  it('is readable by the verifying export loader of @perch/model', async () => {
    const t = await testApp(); close = t.close;
    const loaded = await loadExport(async (path) => new Uint8Array((await t.app.inject({ method: 'GET', url: `/v1/model/versions/1/${path}` })).rawPayload));
    expect(loaded.dims).toEqual(TINY_DIMS);
    expect(loaded.weights.gru_wx).toEqual(tinyRandomModel().weights.gru_wx);
  });

  it('answers unknown files, bad hashes and unknown versions with problem+json', async () => {
    const t = await testApp(); close = t.close;
    const missing = await t.app.inject({ method: 'GET', url: `/v1/model/files/${'0'.repeat(64)}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toMatchObject({ status: 404, title: 'Not Found' });
    expect((await t.app.inject({ method: 'GET', url: '/v1/model/versions/1/nope.bin' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/v1/model/versions/1/..%2Fagg.db' })).statusCode).toBe(400);
    const bad = await t.app.inject({ method: 'GET', url: '/v1/model/files/not-a-hash' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await t.app.inject({ method: 'GET', url: '/v1/model/versions/9/manifest.json' })).statusCode).toBe(404);
    const v1 = await t.app.inject({ method: 'GET', url: '/v1/model/versions/1/manifest.json' });
    expect(v1.statusCode).toBe(200);
    expect(v1.headers['cache-control']).toContain('immutable');
  });

  it('answers health and allows CORS only for configured origins', async () => {
    const t = await testApp({}, { corsOrigins: ['http://shop.test'] }); close = t.close;
    const h = await t.app.inject({ method: 'GET', url: '/health', headers: { origin: 'http://shop.test' } });
    expect(h.json()).toMatchObject({ status: 'ok', modelVersion: 1, roundId: 1, roundStatus: 'open' });
    expect(h.headers['access-control-allow-origin']).toBe('http://shop.test');
    const pre = await t.app.inject({ method: 'OPTIONS', url: '/v1/round/1/updates', headers: { origin: 'http://shop.test', 'access-control-request-method': 'POST' } });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-headers']).toContain('Idempotency-Key');
    const evil = await t.app.inject({ method: 'GET', url: '/health', headers: { origin: 'http://evil.test' } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });
});
