/**
 * Interim model file format, until the exporter in `@perch/model` (model.json + shards + manifest) is
 * wired in: `model.json` (dims, spec version, tensor table) and one `weights.bin` (all tensors as float32
 * little-endian, in `weightShapes` order). Switching formats means replacing `encodeModelFiles` and
 * `readModelDir` only; the manifest, the store and the routes deal in opaque content-hashed files.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_SPEC_VERSION, weightShapes, type ModelDims, type Weights } from '@perch/model/spec.ts';
import type { StoredFile } from '../store/types.js';

export interface ModelJson {
  format: 'perch-model-v0';
  specVersion: number;
  dims: ModelDims;
  weights: { name: string; shape: number[]; dtype: 'float32'; offset: number; bytes: number }[];
}

export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Serialises weights to `model.json` + `weights.bin`; throws if a tensor is missing or mis-sized. */
export function encodeModelFiles(dims: ModelDims, weights: Weights): { path: string; file: StoredFile }[] {
  const shapes = weightShapes(dims);
  const table: ModelJson['weights'] = [];
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const w = weights[name];
    if (!w || w.length !== n) throw new Error(`model files: tensor "${name}" missing or not ${n} values`);
    table.push({ name, shape, dtype: 'float32', offset, bytes: 4 * n });
    offset += 4 * n;
  }
  const bin = new Uint8Array(offset);
  const f32 = new Float32Array(bin.buffer);
  for (const t of table) f32.set(weights[t.name]!, t.offset / 4);
  const json: ModelJson = { format: 'perch-model-v0', specVersion: MODEL_SPEC_VERSION, dims, weights: table };
  const jsonBytes = new TextEncoder().encode(JSON.stringify(json));
  return [
    { path: 'model.json', file: { sha256: sha256Hex(jsonBytes), contentType: 'application/json', data: jsonBytes } },
    { path: 'weights.bin', file: { sha256: sha256Hex(bin), contentType: 'application/octet-stream', data: bin } },
  ];
}

/** Reads a model directory in this format (`--model DIR`). */
export function readModelDir(dir: string): { dims: ModelDims; weights: Weights } {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;
  if (json.format !== 'perch-model-v0') throw new Error(`${dir}/model.json: unsupported format ${String(json.format)}`);
  const bin = readFileSync(join(dir, 'weights.bin'));
  const aligned = new Uint8Array(bin).buffer;
  const weights: Weights = {};
  for (const t of json.weights) weights[t.name] = new Float32Array(aligned.slice(t.offset, t.offset + t.bytes));
  encodeModelFiles(json.dims, weights); // validates shapes against the spec
  return { dims: json.dims, weights };
}
