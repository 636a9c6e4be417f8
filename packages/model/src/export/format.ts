/**
 * The exported model: a TF.js-style `model.json` (format, weightsManifest of named shapes/dtypes over binary
 * shards) plus Perch fields, and a `manifest.json` listing every file with its SHA-256. The manifest stays
 * small (the worker polls it with If-None-Match); the vocabulary lives in `vocab.json`, whose hash it lists.
 * All binary data is little-endian.
 */
import type { ModelDims } from '../spec.js';
import type { LogPosition } from './log.js';
import type { SignatureField } from './signature.js';

export const MODEL_FORMAT = 'perch-gru';
export const MANIFEST_FORMAT = 'perch-model-manifest';
export const MANIFEST_FORMAT_VERSION = 1;
/** TF.js converters cap shards at 4 MB; so do we (smaller files cache and retry better). */
export const MAX_SHARD_BYTES = 4 * 1024 * 1024;

/** How one weight is stored. Without `quantization` it is float32 row-major. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  /**
   * Symmetric per-row int8: the stream holds `rows` float32 scales, then one int8 per value; value = q·scale.
   * `maxError` is the measured largest |x − x̂| (the bound is scale/2 per row).
   */
  quantization?: { dtype: 'int8'; scheme: 'symmetric-per-row'; rows: number; maxError: number };
}

/** `model.json`. */
export interface ModelJson {
  format: typeof MODEL_FORMAT;
  generatedBy: string;
  /** Weights in stream order; the stream is the concatenation of `paths`. */
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
  perch: { specVersion: number; dims: ModelDims };
}

/**
 * How attribute names become rows when the model hashes them (docs/model.md, "Catalogue size"): row =
 * 1 + murmur3(name, seed) mod buckets, where an item's names are `cat:<category>` and `brand:<brand>` as the
 * SDK stores them. `buckets` equals the model's numAttrs.
 */
export interface AttrHash {
  scheme: 'murmur3-x86-32';
  seed: number;
  buckets: number;
}

/** `vocab.json`: row order of items, attributes and categories. */
export interface VocabJson {
  /**
   * Item id strings in row order; items[0] = '' (padding/unknown). The items with an id row of their own: all of
   * the catalogue, or (a model of bounded size) the most frequent ones; any other item is scored as unknown.
   */
  items: string[];
  /** Attribute id strings in row order; attrs[0] = ''. Empty when the rows are hashed (`attrHash`). */
  attrs: string[];
  /** Present when attribute rows are hashed names rather than a list: the device computes them. */
  attrHash?: AttrHash;
  /** itemAttrs[row] = attribute rows of that item; itemAttrs[0] = []. */
  itemAttrs: number[][];
  /** Category names in row order (columns of cat_w). */
  categories: string[];
  /** Category row of each item (length items.length), when known. */
  itemCategory?: number[];
  /**
   * How often each item row occurs in the data the model was trained on (length items.length; the trainer's
   * training split, data the shop already holds, never a device's). Federated devices draw their local loss's
   * negatives and virtual batch from it (`federated/recipe.ts`); without it they sample uniformly. It says no
   * more about that data than the published embeddings do (which also show which items it held), and nothing
   * about any device; docs/threat-model.md.
   */
  itemCounts?: number[];
}

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
}

/** `manifest.json`. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  /** Version of the model (content hash unless the trainer names it). */
  modelVersion: string;
  specVersion: number;
  createdAt: string;
  quantization: 'none' | 'int8';
  /** Path of the model.json and of the vocabulary among `files`. */
  model: string;
  vocab: string;
  files: ManifestFile[];
  /** Total bytes of every file listed. */
  totalBytes: number;
  hyperParameters: Record<string, unknown>;
  evaluation: Record<string, unknown>;
  /** Place in the publisher's append-only log (aggregator versions; `log.ts`). Signed with the rest. */
  log?: LogPosition;
  /** Ed25519 signature over the canonical manifest without this field (`signature.ts`). */
  signature?: SignatureField;
}
