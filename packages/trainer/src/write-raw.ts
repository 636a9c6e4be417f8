import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '@perch/model/data/types.js';
import { MODEL_SPEC_VERSION, weightShapes, type ModelDims, type Weights } from '@perch/model/spec.js';

/**
 * Interim model format until the exporter (packages/model/src/export) exists: `weights.bin` = float32
 * little-endian tensors concatenated in weightShapes() order, and `weights.json` with dims, shapes, order,
 * hyper-parameters, vocabularies, item attributes/categories and metrics. Returns the bytes written.
 */
export function writeRawModel(dir: string, dims: ModelDims, w: Weights, ds: Dataset, hyper: object, metrics: object): number {
  const shapes = weightShapes(dims);
  const order = Object.keys(shapes);
  const total = order.reduce((n, k) => n + w[k]!.length, 0);
  const bin = new Float32Array(total);
  let o = 0;
  for (const k of order) { bin.set(w[k]!, o); o += w[k]!.length; }
  const itemAttrs: number[][] = [];
  for (let i = 0; i < ds.vocab.length; i++) itemAttrs.push(Array.from(ds.attrIds.subarray(ds.attrOffsets[i]!, ds.attrOffsets[i + 1]!)));
  const meta = {
    format: 'perch-raw-1', specVersion: MODEL_SPEC_VERSION, dims, order, shapes, hyper, metrics, dataset: ds.name,
    vocab: ds.vocab, attrVocab: ds.attrVocab, itemAttrs, categories: ds.categories, itemCategory: Array.from(ds.itemCategory),
  };
  mkdirSync(dir, { recursive: true });
  const buf = Buffer.from(bin.buffer, bin.byteOffset, bin.byteLength);
  const json = JSON.stringify(meta);
  writeFileSync(join(dir, 'weights.bin'), buf);
  writeFileSync(join(dir, 'weights.json'), json);
  return buf.byteLength + Buffer.byteLength(json);
}

/** Size of the weights quantised to int8 (1 byte per element plus a float32 scale and offset per tensor). */
export function int8Bytes(dims: ModelDims): number {
  return Object.values(weightShapes(dims)).reduce((n, s) => n + s.reduce((a, b) => a * b, 1) + 8, 0);
}
