import { MODEL_SPEC_VERSION, validateWeights, weightShapes, type ModelDims, type Weights } from '../spec.js';
import { MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, MAX_SHARD_BYTES, MODEL_FORMAT, type Manifest, type ModelJson, type VocabJson, type WeightEntry } from './format.js';
import { quantizeInt8 } from './int8.js';
import { sha256Hex } from './sha256.js';

export interface ExportInput {
  dims: ModelDims;
  weights: Weights;
  vocab: VocabJson;
  /** 'int8' quantises the tensors chosen by `int8Tensors` (default: every 2-D tensor of ≥ 4,096 values). */
  quantization?: 'none' | 'int8';
  int8Tensors?: readonly string[];
  /** Defaults to the first 16 hex digits of the SHA-256 of model.json and the shards. */
  modelVersion?: string;
  hyperParameters?: Record<string, unknown>;
  evaluation?: Record<string, unknown>;
  maxShardBytes?: number;
  /** Fixed timestamp for reproducible output (tests). */
  createdAt?: string;
}

/** Files of an export, path → bytes; `manifest.json` included. */
export type ExportFiles = Map<string, Uint8Array>;

const enc = new TextEncoder();

/** Default tensors to quantise: the large matrices, where int8 saves bytes; biases stay float32. */
export function defaultInt8Tensors(dims: ModelDims): string[] {
  return Object.entries(weightShapes(dims)).filter(([, s]) => s.length === 2 && (s[0] as number) * (s[1] as number) >= 4096).map(([n]) => n);
}

/** Builds every file of an export in memory (pure: no I/O); write them with `writeExport`. */
export async function buildExport(input: ExportInput): Promise<ExportFiles> {
  const { dims, weights } = input;
  validateWeights(dims, weights);
  const int8 = new Set(input.quantization === 'int8' ? (input.int8Tensors ?? defaultInt8Tensors(dims)) : []);
  const entries: WeightEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const [name, shape] of Object.entries(weightShapes(dims))) {
    const x = weights[name] as Float32Array;
    if (int8.has(name)) {
      const rows = shape.length === 2 ? (shape[0] as number) : 1;
      const t = quantizeInt8(x, rows);
      entries.push({ name, shape, dtype: 'float32', quantization: { dtype: 'int8', scheme: 'symmetric-per-row', rows, maxError: t.maxError } });
      chunks.push(new Uint8Array(t.scales.buffer.slice(0)), new Uint8Array(t.q.buffer.slice(0)));
    } else {
      entries.push({ name, shape, dtype: 'float32' });
      chunks.push(new Uint8Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength)));
    }
  }
  const shards = splitShards(concat(chunks), input.maxShardBytes ?? MAX_SHARD_BYTES);
  const paths = shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`);
  const modelJson: ModelJson = {
    format: MODEL_FORMAT,
    generatedBy: '@perch/model export',
    weightsManifest: [{ paths, weights: entries }],
    perch: { specVersion: MODEL_SPEC_VERSION, dims },
  };
  const files: ExportFiles = new Map();
  files.set('model.json', enc.encode(JSON.stringify(modelJson)));
  shards.forEach((s, i) => files.set(paths[i] as string, s));
  files.set('vocab.json', enc.encode(JSON.stringify(input.vocab)));

  const listed = await Promise.all([...files].map(async ([path, bytes]) => ({ path, sha256: await sha256Hex(bytes), bytes: bytes.length })));
  const content = listed.filter((f) => f.path !== 'vocab.json').map((f) => f.sha256).join('');
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    modelVersion: input.modelVersion ?? (await sha256Hex(content)).slice(0, 16),
    specVersion: MODEL_SPEC_VERSION,
    createdAt: input.createdAt ?? new Date().toISOString(),
    quantization: int8.size > 0 ? 'int8' : 'none',
    model: 'model.json',
    vocab: 'vocab.json',
    files: listed,
    totalBytes: listed.reduce((a, f) => a + f.bytes, 0),
    hyperParameters: input.hyperParameters ?? {},
    evaluation: input.evaluation ?? {},
  };
  files.set('manifest.json', enc.encode(JSON.stringify(manifest, null, 2)));
  return files;
}

/** Writes an export through an injected writer (Node: fs.writeFile into a folder; tests: a Map). */
export async function writeExport(files: ExportFiles, write: (path: string, bytes: Uint8Array) => Promise<void>): Promise<void> {
  // manifest.json last: a reader polling the folder never sees a manifest whose files are missing.
  for (const [path, bytes] of files) if (path !== 'manifest.json') await write(path, bytes);
  const m = files.get('manifest.json');
  if (m) await write('manifest.json', m);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function splitShards(stream: Uint8Array, max: number): Uint8Array[] {
  if (max <= 0) throw new Error('export: maxShardBytes must be positive');
  const out: Uint8Array[] = [];
  for (let o = 0; o < stream.length; o += max) out.push(stream.slice(o, Math.min(stream.length, o + max)));
  return out.length > 0 ? out : [new Uint8Array(0)];
}
