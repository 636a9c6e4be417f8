import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Dataset, Sequence } from '@perch/model/data';
import { popularity } from '@perch/model/eval';
import { buildExport, writeExport, type ExportFiles, loadExport } from '@perch/model/export';
import type { VocabJson } from '@perch/model/export';
import type { ModelDims, Weights } from '@perch/model/spec';
import { attrHashOf, compactModel } from '@perch/model/catalog';

/**
 * The vocabulary file of an export, from the dataset's row orders, with each item's occurrences in the sequences
 * the model was trained on (`itemCounts`: federated devices sample their local loss's negatives from it).
 */
export function vocabOf(ds: Dataset, trained: readonly Sequence[]): VocabJson {
  const itemAttrs: number[][] = [];
  for (let i = 0; i < ds.vocab.length; i++) itemAttrs.push(Array.from(ds.attrIds.subarray(ds.attrOffsets[i]!, ds.attrOffsets[i + 1]!)));
  const itemCounts = Array.from(popularity(trained, ds.vocab.length - 1));
  return { items: ds.vocab, attrs: ds.attrVocab, itemAttrs, categories: ds.categories, itemCategory: Array.from(ds.itemCategory), itemCounts };
}

/**
 * Builds the int8 export (model.json + shards + vocab.json + manifest.json) in memory. With `keep` (the items
 * with an id row, `TrainResult.idRowMask`) only those items' rows ship; with `attrBuckets` > 0 the vocabulary
 * carries the attribute hash instead of the names (`compactModel`).
 */
export function buildInt8(dims: ModelDims, w: Weights, ds: Dataset, trained: readonly Sequence[], hyper: object, evaluation: object,
  keep: Uint8Array | null = null, attrBuckets = 0): Promise<ExportFiles> {
  const attrHash = attrBuckets > 0 ? attrHashOf(attrBuckets) : undefined;
  const m = keep || attrHash ? compactModel(dims, w, vocabOf(ds, trained), keep, attrHash) : { dims, weights: w, vocab: vocabOf(ds, trained) };
  return buildExport({ dims: m.dims, weights: m.weights, vocab: m.vocab, quantization: 'int8', hyperParameters: { ...hyper }, evaluation: { ...evaluation } });
}

/** Bytes of the model files (shards + model.json), vocabulary and manifest excluded. */
export function modelBytes(files: ExportFiles): number {
  let n = 0;
  for (const [p, b] of files) if (p !== 'vocab.json' && p !== 'manifest.json') n += b.length;
  return n;
}

/** Writes an export into `dir` (manifest last) and returns the total bytes written. */
export async function writeDir(dir: string, files: ExportFiles): Promise<number> {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  await writeExport(files, async (p, bytes) => { mkdirSync(dirname(join(dir, p)), { recursive: true }); writeFileSync(join(dir, p), bytes); n += bytes.length; });
  return n;
}

/** Loads (and verifies) an export from an in-memory file map or a directory: the dequantised weights. */
export async function loadWeights(src: ExportFiles | string): Promise<Weights> {
  const read = async (p: string): Promise<Uint8Array> => {
    if (typeof src === 'string') return new Uint8Array(readFileSync(join(src, p)));
    const b = src.get(p);
    if (!b) throw new Error(`export has no ${p}`);
    return b;
  };
  return (await loadExport(read)).weights;
}
