/**
 * The round's base model, fetched from the aggregator's immutable per-version URLs
 * (`/v1/model/versions/<n>/…`, one-year cache, so a device downloads each version once). Its manifest must pass
 * the page's pinned keys, the device's log checkpoint and the witness (worker/serve/trust/, the same checks as the
 * rerank model's) before any file is fetched; then every file is verified against the manifest's SHA-256 by
 * `loadExport` before any weight is used. The last version is kept in memory: consecutive rounds on the same
 * version do not even revalidate.
 */
import { loadExport, parseManifest, type LoadedExport, type Manifest } from '@perch/model/export';
import type { ModelTrust } from '../../shared/model-trust.js';
import { loadTrust } from '../serve/trust/trust-script.js';
import { timedFetch, TIMEOUT_MS } from '../net/timed-fetch.js';

let last: { key: string; loaded: LoadedExport } | null = null;

async function bytes(url: string): Promise<Uint8Array> {
  const res = await timedFetch(url, { credentials: 'omit' }, TIMEOUT_MS.file);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Verified export of model version `version` served by the aggregator at `aggregatorUrl`, accepted under `trust`
 * (throws `ModelRefused` otherwise); `dbName` names the device's trust state (`<dbName>:trust`).
 */
export async function baseModel(aggregatorUrl: string, version: number, o: { trust: ModelTrust; dbName: string }): Promise<LoadedExport> {
  const base = `${aggregatorUrl}/v1/model/versions/${version}/`;
  const key = `${base} ${o.trust.keys.join(' ')} ${o.trust.witnessUrl ?? ''}`;
  if (last?.key === key) return last.loaded;
  const manifestBytes = await bytes(`${base}manifest.json`);
  const manifest = parseManifest(manifestBytes);
  if (manifest.modelVersion !== String(version)) throw new Error(`aggregator served version ${manifest.modelVersion} for ${version}`);
  const accepted = await loadTrust().checker(o.dbName).check(manifest, o.trust);
  const loaded = await loadExport((p) => bytes(new URL(p, base).href), manifestBytes);
  await accepted.commit();
  last = { key, loaded };
  return loaded;
}

/**
 * The manifest of version `version` alone (no file is fetched), verified under `trust`: signed by a pinned key and
 * in the log this device accepted, even when older than its checkpoint (`ManifestChecker.inLog`); throws otherwise.
 */
export async function publishedManifest(aggregatorUrl: string, version: number, o: { trust: ModelTrust; dbName: string }): Promise<Manifest> {
  const manifest = parseManifest(await bytes(`${aggregatorUrl}/v1/model/versions/${version}/manifest.json`));
  if (manifest.modelVersion !== String(version)) throw new Error(`aggregator served version ${manifest.modelVersion} for ${version}`);
  await loadTrust().checker(o.dbName).inLog(manifest, o.trust);
  return manifest;
}
