/**
 * Model delivery: revalidate the manifest with If-None-Match, check a new manifest (with pinned keys: its
 * signature and its place in the version log, worker/serve/trust/) before downloading anything it lists, download the
 * files, verify each one's SHA-256 (`crypto.subtle`, in `loadExport`) before any byte is used, and cache the
 * verified set. A refused manifest or a file that fails verification is rejected and the cached (previous) model
 * stays in use; offline, the cached model is used. The cached files are verified again on every load, and a cached
 * manifest's signature against the keys pinned now.
 */
import type { Manifest } from '@perch/model/export';
import { loadExport, parseManifest, type LoadedExport, sha256Hex } from '@perch/model/export';
import { uncheckedVerdict, type TrustVerdict } from '../../../shared/model-trust.js';
import { describeFailure, timedFetch, TIMEOUT_MS } from '../../net/timed-fetch.js';
import type { CachedModel, ModelCache } from './cache.js';

/** How manifests are checked (trust/checker.ts with pinned keys; `UNCHECKED` without). */
export interface ManifestCheck {
  /** A manifest from the network, before its files are fetched: throws to refuse; `commit` once they verified. */
  check(m: Manifest): Promise<TrustVerdict & { commit(): Promise<void> }>;
  /** The cached manifest (its log position was accepted when it was downloaded). */
  recheck(m: Manifest): Promise<TrustVerdict>;
}

export const UNCHECKED: ManifestCheck = {
  check: async (m) => ({ ...uncheckedVerdict(m), commit: async () => {} }),
  recheck: async (m) => uncheckedVerdict(m),
};

/** A refusal says why in its own words; other failures with their kind (TypeError, TimeoutError, …). */
const failure = (e: unknown): string => ((e as Error)?.name === 'ModelRefused' ? (e as Error).message : describeFailure(e));

export interface Delivered {
  loaded: LoadedExport;
  source: 'network' | 'cache';
  manifestSha256: string;
  /** Its signature and log position, as checked. */
  trust: TrustVerdict;
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
export async function deliver(url: string, cache: ModelCache, check: ManifestCheck = UNCHECKED): Promise<Delivered> {
  const t0 = performance.now();
  let cached = await cache.readModel();
  let cachedTrust: TrustVerdict | undefined, cacheError: string | undefined;
  if (cached) {
    try {
      cachedTrust = await check.recheck(parseManifest(cached.manifest));
    } catch (e) {
      cacheError = failure(e); // e.g. signed by a key no longer pinned: not used, and not revalidated against
      cached = null;
    }
  }
  const fromCached = async (c: CachedModel, error?: string): Promise<Delivered> =>
    ({ loaded: await fromCache(c), source: 'cache', manifestSha256: c.manifestSha256, trust: cachedTrust!, ...(error ? { error } : {}), loadMs: performance.now() - t0 });
  let error: string;
  try {
    const res = await get(url, TIMEOUT_MS.json, cached?.etag ? { 'If-None-Match': cached.etag } : {});
    if (res.status === 304 && cached) return fromCached(cached);
    const manifest = await bytesOf(res, url);
    const manifestSha256 = await sha256Hex(manifest);
    if (cached && cached.manifestSha256 === manifestSha256) return fromCached(cached);
    const files: Record<string, Uint8Array> = {};
    const parsed = parseManifest(manifest);
    const { commit, ...trust } = await check.check(parsed);
    // loadExport reads each listed file once and verifies it before decoding anything.
    const loaded = await loadExport(async (p) => (files[p] = await bytesOf(await get(new URL(p, url).href, TIMEOUT_MS.file), p)), manifest);
    await commit();
    await cache.writeModel({ version: parsed.modelVersion, etag: res.headers.get('ETag'), manifestSha256, manifest, files, savedAt: Date.now() });
    return { loaded, source: 'network', manifestSha256, trust, loadMs: performance.now() - t0 };
  } catch (e) {
    error = failure(e);
  }
  if (!cached) throw new Error(cacheError ? `${error}; ${cacheError}` : error);
  return fromCached(cached, error);
}
