// A real model of bounded size for the catalogue spec: trained by the real trainer CLI on the REES46 event-log
// sample (category_code and brand, so attribute names are `cat:…` / `brand:…`) with hashed attribute rows and id
// rows only for items seen at least twice, so most of the sample's products are left out of vocab.json and are
// scored from their hashed category and brand rows. Cached under e2e/artifacts/ keyed by a hash of the trainer
// inputs (data, flags, model spec version), like model.ts; trains in seconds.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTrainedModel } from './model.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const REES46_EVENTS = join(root, '..', 'shared', 'data', 'rees46-sample', 'events.csv');
export const ATTR_BUCKETS = 4096;
const FLAGS = ['--epochs', '1', '--threads', '1', '--seed', '1', '--set', `attrBuckets=${ATTR_BUCKETS},hashAttrs=1,idRows=2000,idMinCount=2`];

/** Directory of the trained export (manifest.json, model.json, shard, vocab.json); trains if missing. */
export function ensureBoundedModel(): string {
  return ensureTrainedModel('model-bounded', [readFileSync(REES46_EVENTS), FLAGS.join(' ')], () => ['--data', REES46_EVENTS, ...FLAGS]);
}

/** A product of the sample as the shop lists it (empty category_code / brand → absent). */
export interface Rees46Item { id: string; category?: string; brand?: string; events: number }

/** The sample's products with their category and brand, most events first (ties: the lower id). */
export function rees46Items(): Rees46Item[] {
  const lines = readFileSync(REES46_EVENTS, 'utf8').split('\n');
  const head = lines[0]!.split(',');
  const col = (name: string): number => head.indexOf(name);
  const [pid, code, brand] = [col('product_id'), col('category_code'), col('brand')];
  const items = new Map<string, Rees46Item>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const id = f[pid];
    if (!id) continue;
    const it = items.get(id) ?? { id, events: 0 };
    if (f[code]) it.category = f[code];
    if (f[brand]) it.brand = f[brand];
    it.events++;
    items.set(id, it);
  }
  return [...items.values()].sort((a, b) => b.events - a.events || Number(a.id) - Number(b.id));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureBoundedModel());
