/**
 * Model delivery: revalidate the manifest with If-None-Match, download the files it lists, verify each
 * one's SHA-256 (`crypto.subtle`, in `loadExport`) before any byte is used, and cache the verified set.
 * A file that fails verification is rejected and the cached (previous) model stays in use; offline, the
 * cached model is used. The cached files are verified again on every load.
 */
import { loadExport, parseManifest, type LoadedExport } from '@perch/model/export/loader.ts';
import { sha256Hex } from '@perch/model/export/sha256.ts';
import { describeFailure, timedFetch, TIMEOUT_MS } from '../net/timed-fetch.js';
import type { CachedModel, ModelCache } from './cache.js';

export interface Delivered {
  loaded: LoadedExport;
  source: 'network' | 'cache';
  manifestSha256: string;
  /** A problem met on the way (rejected download, network down) even though a model was delivered. */
  error?: string;
  /** Time to fetch and verify (ms). */
  loadMs: number;
}

async function get(url: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<Response> {
  // 'no-cache': always revalidate with the server; our ETag does the caching.
  return timedFetch(url, { headers, cache: 'no-cache', credentials: 'omit' }, timeoutMs);
}

async function bytesOf(res: Response, url: string): Promise<Uint8Array> {
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function fromCache(c: CachedModel): Promise<LoadedExport> {
  return loadExport(async (p) => {
    const b = c.files[p];
    if (!b) throw new Error(`cached model has no ${p}`);
    return b;
  }, c.manifest);
}

/** Delivers a verified model, from the network or the cache; throws only when neither has a usable one. */
export async function deliver(url: string, cache: ModelCache): Promise<Delivered> {
  const t0 = performance.now();
  const cached = await cache.readModel();
  let error: string | undefined;
  try {
    const res = await get(url, TIMEOUT_MS.json, cached?.etag ? { 'If-None-Match': cached.etag } : {});
    if (res.status === 304 && cached) {
      return { loaded: await fromCache(cached), source: 'cache', manifestSha256: cached.manifestSha256, loadMs: performance.now() - t0 };
    }
    const manifest = await bytesOf(res, url);
    const manifestSha256 = await sha256Hex(manifest);
    if (cached && cached.manifestSha256 === manifestSha256) {
      return { loaded: await fromCache(cached), source: 'cache', manifestSha256, loadMs: performance.now() - t0 };
    }
    const files: Record<string, Uint8Array> = {};
    const parsed = parseManifest(manifest);
    // loadExport reads each listed file once and verifies it before decoding anything.
    const loaded = await loadExport(async (p) => (files[p] = await bytesOf(await get(new URL(p, url).href, TIMEOUT_MS.file), p)), manifest);
    await cache.writeModel({ version: parsed.modelVersion, etag: res.headers.get('ETag'), manifestSha256, manifest, files, savedAt: Date.now() });
    return { loaded, source: 'network', manifestSha256, loadMs: performance.now() - t0 };
  } catch (e) {
    error = describeFailure(e);
  }
  if (!cached) throw new Error(error);
  return { loaded: await fromCache(cached), source: 'cache', manifestSha256: cached.manifestSha256, error, loadMs: performance.now() - t0 };
}
