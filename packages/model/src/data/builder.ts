import { gapBucket } from './gap.js';
import { emptyStats, type Dataset, type ReadStats, type Sequence } from './types.js';

/** One raw event as a reader sees it. */
export interface RawEvent {
  item: string;
  /** Row in EVENT_KINDS. */
  kind: number;
  /** Seconds since the epoch, if the source has timestamps. */
  time?: number;
}

/**
 * The attribute names of an item's category and brand, as every reader of the trainer names them (`cat:…`,
 * `brand:…`) and as the worker looks an unseen item's category and brand up (`EventMapper.attrsOf`); empty or
 * missing values give no name.
 */
export function categoryBrandAttrs(category: string | undefined, brand: string | undefined): string[] {
  const out: string[] = [];
  if (category) out.push(`cat:${category}`);
  if (brand) out.push(`brand:${brand}`);
  return out;
}

/** Optional item metadata: attributes (any strings) and one category name per item. */
export interface ItemMeta {
  attrs?: Map<string, string[]>;
  categories?: Map<string, string>;
}

/**
 * Builds a Dataset from events grouped by sequence key (in the order given; events in time order).
 * Explicit rules, all counted in stats:
 * - an event repeating the previous one (same item and kind) is a duplicate and dropped;
 * - sequences left with fewer than 2 events are dropped (nothing to predict), their items stay in the vocabulary;
 * - items listed only in the metadata are added after the interacted items (cold-start rows);
 * - interacted items without metadata get no attributes (itemsWithoutAttrs).
 */
export function buildDataset(name: string, groups: Map<string, RawEvent[]>, meta: ItemMeta, typedEvents: boolean, stats: ReadStats = emptyStats()): Dataset {
  const index = new Map<string, number>();
  const vocab = [''];
  const rowOf = (id: string): number => {
    let r = index.get(id);
    if (r === undefined) { r = vocab.length; index.set(id, r); vocab.push(id); }
    return r;
  };
  const sequences: Sequence[] = [];
  for (const [key, evs] of groups) {
    const kept: RawEvent[] = [];
    for (const e of evs) {
      const prev = kept[kept.length - 1];
      if (prev && prev.item === e.item && prev.kind === e.kind) { stats.duplicateEvents++; continue; }
      kept.push(e);
    }
    for (const e of kept) rowOf(e.item);
    if (kept.length < 2) { stats.shortSequences++; continue; }
    const n = kept.length;
    const seq: Sequence = { key, items: new Int32Array(n), kinds: new Uint8Array(n), gaps: new Uint8Array(n) };
    for (let i = 0; i < n; i++) {
      const e = kept[i]!;
      seq.items[i] = index.get(e.item)!;
      seq.kinds[i] = e.kind;
      const prevT = i > 0 ? kept[i - 1]!.time : undefined;
      seq.gaps[i] = gapBucket(prevT !== undefined && e.time !== undefined ? e.time - prevT : undefined);
    }
    sequences.push(seq);
    stats.events += n;
  }
  if (meta.attrs) for (const id of meta.attrs.keys()) rowOf(id);
  if (meta.categories) for (const id of meta.categories.keys()) rowOf(id);

  const attrIndex = new Map<string, number>();
  const attrVocab = [''];
  const attrOffsets = new Int32Array(vocab.length + 1);
  const ids: number[] = [];
  for (let r = 1; r < vocab.length; r++) {
    attrOffsets[r] = ids.length;
    const list = meta.attrs?.get(vocab[r]!);
    if (!list || list.length === 0) { if (meta.attrs) stats.itemsWithoutAttrs++; continue; }
    for (const a of new Set(list)) {
      let ar = attrIndex.get(a);
      if (ar === undefined) { ar = attrVocab.length; attrIndex.set(a, ar); attrVocab.push(a); }
      ids.push(ar);
    }
  }
  attrOffsets[vocab.length] = ids.length;

  const categories = ['unknown'];
  const catIndex = new Map<string, number>();
  const itemCategory = new Int32Array(vocab.length);
  for (let r = 1; r < vocab.length; r++) {
    const c = meta.categories?.get(vocab[r]!);
    if (!c) continue;
    let cr = catIndex.get(c);
    if (cr === undefined) { cr = categories.length; catIndex.set(c, cr); categories.push(c); }
    itemCategory[r] = cr;
  }
  return { name, vocab, attrVocab, attrOffsets, attrIds: Int32Array.from(ids), categories, itemCategory, typedEvents, sequences, stats };
}
