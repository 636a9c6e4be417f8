/**
 * The round's base model, fetched from the aggregator's immutable per-version URLs
 * (`/v1/model/versions/<n>/…`, one-year cache, so a device downloads each version once) and verified file by
 * file against the manifest's SHA-256 by `loadExport` before any weight is used. The last version is kept in
 * memory: consecutive rounds on the same version do not even revalidate.
 */
import { loadExport, type LoadedExport } from '../../../../model/src/export/loader.js';
import { timedFetch, TIMEOUT_MS } from '../net/timed-fetch.js';

let last: { key: string; loaded: LoadedExport } | null = null;

async function bytes(url: string): Promise<Uint8Array> {
  const res = await timedFetch(url, { credentials: 'omit' }, TIMEOUT_MS.file);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Verified export of model version `version` served by the aggregator at `aggregatorUrl`. */
export async function baseModel(aggregatorUrl: string, version: number): Promise<LoadedExport> {
  const base = `${aggregatorUrl}/v1/model/versions/${version}/`;
  if (last?.key === base) return last.loaded;
  const loaded = await loadExport((p) => bytes(new URL(p, base).href));
  if (loaded.manifest.modelVersion !== String(version)) {
    throw new Error(`aggregator served version ${loaded.manifest.modelVersion} for ${version}`);
  }
  last = { key: base, loaded };
  return loaded;
}
