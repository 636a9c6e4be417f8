// The on-device model export for the synthetic 1M-item catalogue (generate.ts), in the bounded form a device
// downloads whatever the catalogue's size (`compactModel`): id rows only for the 12,288 most popular items, 8,192
// hashed attribute rows (`cat:<category>`, `brand:<brand>`), the dense GRU; int8 like the trainer's export.
// The weights are random (`initWeights`, seeded): the bench that uses it measures cost (bytes, time, memory),
// not accuracy, and the cost does not depend on the values of the weights.
// Cached under e2e/artifacts/ keyed by the generator version, the seeds, the dims and the model spec version.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attrHashOf, bucketOf, compactModel } from '@perch/model/catalog';
import { buildExport, writeExport, type ExportFiles, type VocabJson } from '@perch/model/export';
import { initWeights } from '@perch/model/plain';
import { Rng } from '@perch/model/rng';
import { MODEL_SPEC_VERSION, type ModelDims } from '@perch/model/spec';
import { brandNameOf, CATALOG_GENERATOR_VERSION, CATALOG_ITEMS, CATALOG_SEED, categoryNameOf, expectedCount, generateCatalog, itemIdOf, type SyntheticCatalog } from './generate.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CATALOG_DIMS: ModelDims = { numItems: 12_288, numAttrs: 8_192, numCategories: 1, dim: 64, hidden: 64 };
const WEIGHT_SEED = 1;
/** Size of the notional event log the head items' counts (`vocab.itemCounts`) are expected counts of. */
const LOG_EVENTS = 20_000_000;
const ATTR_HASH = attrHashOf(CATALOG_DIMS.numAttrs);

/** The head items' vocabulary: ids, hashed attribute rows (as the SDK computes them), counts; no attribute names. */
export function headVocab(cat: SyntheticCatalog, head = CATALOG_DIMS.numItems): VocabJson {
  const items = [''], itemAttrs: number[][] = [[]], itemCounts = [0];
  const row = (name: string): number => bucketOf(name, ATTR_HASH.buckets, ATTR_HASH.seed);
  for (let i = 0; i < head; i++) {
    items.push(itemIdOf(i));
    const rows = [row(`cat:${categoryNameOf(cat.category[i]!)}`), row(`brand:${brandNameOf(cat.brand[i]!)}`)];
    itemAttrs.push(rows[0] === rows[1] ? [rows[0]!] : rows);
    itemCounts.push(Math.max(1, Math.round(expectedCount(i, cat.size, LOG_EVENTS))));
  }
  return { items, attrs: [], itemAttrs, categories: ['unknown'], itemCounts };
}

/** Every file of the export (manifest.json included), in memory. */
export function buildCatalogExport(cat: SyntheticCatalog): Promise<ExportFiles> {
  const m = compactModel(CATALOG_DIMS, initWeights(CATALOG_DIMS, new Rng(WEIGHT_SEED)), headVocab(cat), null, ATTR_HASH);
  return buildExport({ ...m, quantization: 'int8', modelVersion: `catalog-1m-v${CATALOG_GENERATOR_VERSION}`, createdAt: '2000-01-01T00:00:00.000Z',
    hyperParameters: { synthetic: true, catalogItems: cat.size, catalogSeed: cat.seed, weightSeed: WEIGHT_SEED } });
}

/**
 * Directory of the export for the default catalogue (manifest.json, model.json, shard(s), vocab.json); built if
 * missing. Pass the catalogue when the caller already generated it.
 */
export async function ensureCatalogModel(cat?: SyntheticCatalog): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify({ generator: CATALOG_GENERATOR_VERSION, seed: CATALOG_SEED, weights: WEIGHT_SEED, dims: CATALOG_DIMS, attrHash: ATTR_HASH, logEvents: LOG_EVENTS, spec: MODEL_SPEC_VERSION }))
    .digest('hex').slice(0, 16);
  const dir = join(root, 'e2e', 'artifacts', `catalog-1m-${key}`);
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  if (cat && (cat.seed !== CATALOG_SEED || cat.size !== CATALOG_ITEMS)) throw new Error('ensureCatalogModel: the cache holds the default catalogue only');
  const files = await buildCatalogExport(cat ?? generateCatalog(CATALOG_SEED));
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await writeExport(files, async (p, bytes) => writeFileSync(join(tmp, p), bytes));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await ensureCatalogModel());
