/**
 * Model files in the export format of `@perch/model/export` (model.json + weight shards + vocab.json +
 * manifest.json with the sha256 of every file), so clients verify aggregator-published versions with the
 * same loader (`loadExport`) as trainer-exported ones. The aggregator names versions with decimal integers
 * (`modelVersion: "2"`), the number uploads carry as their base version. Every manifest is appended to the
 * version log after `prev` and signed (`sealManifest`): devices that pin the key check both.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildExport, leafHash, loadExport, sealManifest, type LogPoint, type Manifest, type Signer, type VocabJson } from '@perch/model/export';
import type { ModelDims, Weights } from '@perch/model/spec';
import type { LogEntry, StoredFile } from '../store/types.js';

export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export interface ModelSource { dims: ModelDims; weights: Weights; vocab: VocabJson; quantization: 'none' | 'int8' }

export interface ExportedVersion { manifest: Manifest; manifestBytes: Uint8Array; manifestSha256: string; files: StoredFile[]; log: LogEntry }

/** Where a new version goes in the log and who signs it. */
export interface Seal { signer: Signer; prev: LogPoint | null }

/** Builds every file of version `version` (manifest included, sealed: log position and signature) in memory. */
export async function exportVersion(version: number, m: ModelSource, hyperParameters: Record<string, unknown>, now: number, seal: Seal): Promise<ExportedVersion> {
  const files = await buildExport({
    dims: m.dims, weights: m.weights, vocab: m.vocab, quantization: m.quantization,
    modelVersion: String(version), hyperParameters, createdAt: new Date(now).toISOString(),
  });
  const built = files.get('manifest.json');
  if (!built) throw new Error('export produced no manifest.json');
  const manifest = await sealManifest(JSON.parse(new TextDecoder().decode(built)) as Manifest, seal.prev, seal.signer);
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest, null, 2));
  const stored = manifest.files.map((f): StoredFile => ({
    sha256: f.sha256,
    contentType: f.path.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    data: files.get(f.path)!,
  }));
  const log = { index: manifest.log.index, head: manifest.log.head, leaf: await leafHash(manifest) };
  return { manifest, manifestBytes, manifestSha256: sha256Hex(manifestBytes), files: stored, log };
}

/** Reads and verifies an export directory (`--model DIR`, e.g. the trainer's output). */
export async function readModelDir(dir: string): Promise<ModelSource> {
  const loaded = await loadExport(async (path) => new Uint8Array(await readFile(join(dir, path))));
  return { dims: loaded.dims, weights: loaded.weights, vocab: loaded.vocab, quantization: loaded.manifest.quantization };
}
