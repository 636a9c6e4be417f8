import { READABLE_SPEC_VERSIONS, upgradeWeights, validateWeights, weightShapes, type ModelDims, type Weights } from '../spec.js';
import { MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, MODEL_FORMAT, type Manifest, type ModelJson, type VocabJson } from './format.js';
import { dequantizeInt8 } from './int8.js';
import { sha256Hex } from './sha256.js';

/** A file whose bytes do not match the SHA-256 (or size) listed in the manifest. */
export class IntegrityError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`model file "${file}" failed verification: expected sha256 ${expected}, got ${actual}`);
    this.name = 'IntegrityError';
  }
}

/** A manifest or model.json that is not a Perch export this code can read. */
export class FormatError extends Error {
  override name = 'FormatError';
}

export interface LoadedExport {
  manifest: Manifest;
  dims: ModelDims;
  weights: Weights;
  vocab: VocabJson;
  /** Bytes read and verified, manifest excluded. */
  bytes: number;
}

/** Reads one file of the export by its relative path (fetch in the worker, fs in Node, a Map in tests). */
export type ReadFile = (path: string) => Promise<Uint8Array>;

const dec = new TextDecoder();

/**
 * Loads an export: reads the manifest, reads every file it lists and checks its size and SHA-256 before any
 * byte is used (IntegrityError on mismatch), then decodes model.json, the weight shards (dequantising int8)
 * and the vocabulary. Nothing outside the manifest's file list is ever read.
 */
export async function loadExport(read: ReadFile, manifestBytes?: Uint8Array): Promise<LoadedExport> {
  const manifest = parseManifest(manifestBytes ?? (await read('manifest.json')));
  const verified = new Map<string, Uint8Array>();
  await Promise.all(
    manifest.files.map(async (f) => {
      const bytes = await read(f.path);
      const actual = await sha256Hex(bytes);
      if (actual !== f.sha256 || bytes.length !== f.bytes) throw new IntegrityError(f.path, f.sha256, actual);
      verified.set(f.path, bytes);
    }),
  );
  const get = (path: string): Uint8Array => {
    const b = verified.get(path);
    if (!b) throw new FormatError(`"${path}" is used but not listed (and so not verified) in the manifest`);
    return b;
  };
  const modelJson = parseJson<ModelJson>(get(manifest.model), manifest.model);
  if (modelJson.format !== MODEL_FORMAT) throw new FormatError(`${manifest.model}: format "${modelJson.format}", expected "${MODEL_FORMAT}"`);
  const version = modelJson.perch?.specVersion;
  if (typeof version !== 'number' || !READABLE_SPEC_VERSIONS.includes(version)) throw new FormatError(`${manifest.model}: spec version ${version}, this code reads ${READABLE_SPEC_VERSIONS.join(' and ')}`);
  const dims = modelJson.perch.dims;
  const weights = upgradeWeights(version, dims, decodeWeights(modelJson, get, dims)); // v2: attr_tr = I
  validateWeights(dims, weights);
  const vocab = parseJson<VocabJson>(get(manifest.vocab), manifest.vocab);
  if (vocab.items?.length !== dims.numItems + 1) throw new FormatError(`${manifest.vocab}: ${vocab.items?.length} item rows, the model has ${dims.numItems + 1}`);
  checkAttrHash(vocab, dims, manifest.vocab);
  return { manifest, dims, weights, vocab, bytes: [...verified.values()].reduce((a, b) => a + b.length, 0) };
}

/** A vocabulary's attribute hash must be one this code computes, over exactly the model's attribute rows. */
function checkAttrHash(vocab: VocabJson, dims: ModelDims, file: string): void {
  const h = vocab.attrHash;
  if (h === undefined) return;
  if (h === null || typeof h !== 'object' || h.scheme !== 'murmur3-x86-32') throw new FormatError(`${file}: unknown attribute hash ${JSON.stringify(h)}`);
  if (!Number.isInteger(h.seed) || h.seed < 0 || h.seed > 0xffffffff) throw new FormatError(`${file}: attribute hash seed ${h.seed} is not a 32-bit unsigned integer`);
  if (h.buckets !== dims.numAttrs) throw new FormatError(`${file}: attribute hash over ${h.buckets} rows, the model has ${dims.numAttrs}`);
}

/** Parses and checks a manifest (also useful on its own to compare versions before downloading). */
export function parseManifest(bytes: Uint8Array): Manifest {
  const m = parseJson<Manifest>(bytes, 'manifest.json');
  if (m.format !== MANIFEST_FORMAT || m.formatVersion !== MANIFEST_FORMAT_VERSION) throw new FormatError(`manifest.json: not a ${MANIFEST_FORMAT} v${MANIFEST_FORMAT_VERSION}`);
  if (!Array.isArray(m.files) || m.files.length === 0) throw new FormatError('manifest.json: no files listed');
  for (const f of m.files) {
    // Paths resolve against the manifest's URL or folder: anything that could escape it is refused.
    if (typeof f.path !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(f.path)) throw new FormatError(`manifest.json: unsafe file path ${JSON.stringify(f.path)}`);
    if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) throw new FormatError(`manifest.json: bad sha256 for ${f.path}`);
  }
  return m;
}

function decodeWeights(modelJson: ModelJson, get: (path: string) => Uint8Array, dims: ModelDims): Weights {
  const expected = weightShapes(dims);
  const out: Weights = {};
  for (const group of modelJson.weightsManifest ?? []) {
    const parts = group.paths.map(get);
    const stream = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    parts.reduce((o, p) => (stream.set(p, o), o + p.length), 0);
    let off = 0;
    const take = (n: number): ArrayBuffer => {
      if (off + n > stream.length) throw new FormatError(`${modelJson.format}: weight stream too short`);
      const b = stream.buffer.slice(off, off + n); // a copy: aligned for the typed-array views below
      off += n;
      return b;
    };
    for (const e of group.weights) {
      const shape = expected[e.name];
      if (shape && shape.join(',') !== e.shape.join(',')) throw new FormatError(`weight "${e.name}": shape [${e.shape}] but the spec says [${shape}]`);
      const size = e.shape.reduce((a, b) => a * b, 1);
      const q = e.quantization;
      if (q) {
        if (q.dtype !== 'int8' || q.scheme !== 'symmetric-per-row') throw new FormatError(`weight "${e.name}": unknown quantisation ${q.dtype}/${q.scheme}`);
        const scales = new Float32Array(take(4 * q.rows));
        out[e.name] = dequantizeInt8(new Int8Array(take(size)), scales);
      } else {
        out[e.name] = new Float32Array(take(4 * size));
      }
    }
    if (off !== stream.length) throw new FormatError(`${modelJson.format}: ${stream.length - off} unexpected trailing bytes in the weight stream`);
  }
  return out;
}

function parseJson<T>(bytes: Uint8Array, file: string): T {
  try {
    return JSON.parse(dec.decode(bytes)) as T;
  } catch (e) {
    throw new FormatError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}
