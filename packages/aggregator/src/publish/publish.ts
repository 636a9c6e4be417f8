/**
 * Publishing: turns weights into a content-addressed model version (files + manifest with the sha256 of
 * every file). A closed round publishes base + aggregated delta on the shared dense tensors only; item and
 * attribute embeddings are carried over unchanged (clients never upload them).
 */
import { SHARED_DENSE_WEIGHTS, MODEL_SPEC_VERSION, weightShapes, type ModelDims, type Weights } from '@perch/model/spec.ts';
import { makeLayout, unflatten } from '@perch/model/privacy/index.ts';
import type { Manifest, NewModelVersion } from '../store/types.js';
import { encodeModelFiles, sha256Hex } from './format.js';

export const sharedLayout = (dims: ModelDims) => makeLayout(weightShapes(dims), SHARED_DENSE_WEIGHTS);

export interface PublishInput { version: number; parent: number | null; round: number | null; dims: ModelDims; weights: Weights; now: number }

/** Builds the version record: files, manifest bytes and their hashes. `/v1/model/files/<sha256>` serves each file. */
export function buildVersion(p: PublishInput): NewModelVersion {
  const files = encodeModelFiles(p.dims, p.weights);
  const manifest: Manifest = {
    format: 'perch-model-manifest',
    version: p.version,
    specVersion: MODEL_SPEC_VERSION,
    parent: p.parent,
    round: p.round,
    createdAt: new Date(p.now).toISOString(),
    dims: p.dims,
    layoutHash: sharedLayout(p.dims).hash,
    files: files.map(({ path, file }) => ({ path, sha256: file.sha256, bytes: file.data.length, contentType: file.contentType, url: `/v1/model/files/${file.sha256}` })),
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  return { version: p.version, manifest, manifestBytes, manifestSha256: sha256Hex(manifestBytes), weights: p.weights, files: files.map((f) => f.file) };
}

/** New weights = base + delta on the shared dense tensors (server learning rate `lr`); others copied. */
export function applyDelta(dims: ModelDims, base: Weights, delta: Float32Array, lr = 1): Weights {
  const parts = unflatten(delta, sharedLayout(dims));
  const out: Weights = {};
  for (const [name, w] of Object.entries(base)) {
    const d = parts[name];
    if (!d) { out[name] = new Float32Array(w); continue; }
    const n = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) n[i] = w[i]! + lr * d[i]!;
    out[name] = n;
  }
  return out;
}
