/**
 * Publishing: turns weights into a content-addressed model version (export files + manifest with the sha256
 * of every file, appended to the version log and signed). A closed round publishes base + aggregated delta on the shared dense tensors only; item and
 * attribute embeddings are carried over unchanged (clients never upload them), and so is the vocabulary.
 */
import { SHARED_DENSE_WEIGHTS, weightShapes, type ModelDims, type Weights } from '@perch/model/spec';
import { makeLayout, unflatten } from '@perch/learn/update';
import type { NewModelVersion } from '../store/types.js';
import { exportVersion, type ModelSource, type Seal } from './format.js';

export const sharedLayout = (dims: ModelDims) => makeLayout(weightShapes(dims), SHARED_DENSE_WEIGHTS);

/** `secagg`: how a secure-aggregation round's sum was made (recorded in the manifest's provenance). */
export interface PublishInput extends ModelSource { version: number; parent: number | null; round: number | null; clients?: number; rule?: string; now: number; seal: Seal; secagg?: Record<string, unknown> }

/** Builds the version record: weights (kept float32 for the next aggregation) and the served files. */
export async function buildVersion(p: PublishInput): Promise<NewModelVersion> {
  const provenance = { federated: { parent: p.parent, round: p.round, clients: p.clients ?? 0, rule: p.rule ?? null, sharedLayout: sharedLayout(p.dims).hash, ...(p.secagg ? { secagg: p.secagg } : {}) } };
  const e = await exportVersion(p.version, p, provenance, p.now, p.seal);
  return { version: p.version, dims: p.dims, manifest: e.manifest, manifestBytes: e.manifestBytes, manifestSha256: e.manifestSha256, weights: p.weights, files: e.files, log: e.log };
}

/** New weights = base + lr · delta on the shared dense tensors; the others are copied. */
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
