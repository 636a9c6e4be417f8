/**
 * Stored events → model inputs. The vocabulary maps the shop's item ids to rows; an item the model never
 * saw is described by its category and brand when those strings are attribute names of the model (cold
 * start); otherwise it is row 0 with no attributes (the model's "unknown item").
 */
import type { VocabJson } from '@perch/model/export';
import { bucketOf, categoryBrandAttrs } from '@perch/model/catalog';
import { EVENT_KINDS, GA4_EVENT_KINDS, GAP_BUCKETS_S, MAX_ITEMS_PER_EVENT, type EventKind } from '@perch/model/spec';
import type { Candidate, ModelEvent } from '@perch/model/tfjs';
import type { PerchEvent } from '../../../shared/events/index.js';
import type { HistoryEntry } from '../rerank/explain.js';
import type { RerankCandidate } from '../../../shared/rerank/api.js';
import type { EventType } from '../../../types.js';

/** GA4 type → the model's event kind (`@perch/model/spec.ts`, shared with the trainer's readers). */
const KIND: Partial<Record<EventType, EventKind>> = GA4_EVENT_KINDS;

function gapBucket(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) return GAP_BUCKETS_S.length - 1;
  for (let b = 0; b < GAP_BUCKETS_S.length; b++) if (seconds <= GAP_BUCKETS_S[b]!) return b;
  return GAP_BUCKETS_S.length - 1;
}

export class EventMapper {
  private readonly items = new Map<string, number>();
  private readonly attrs = new Map<string, number>();
  private readonly hash: VocabJson['attrHash'];

  constructor(vocab: VocabJson) {
    vocab.items.forEach((id, row) => row > 0 && this.items.set(id, row));
    vocab.attrs.forEach((a, row) => row > 0 && this.attrs.set(a, row));
    this.hash = vocab.attrHash;
  }

  /**
   * Attribute rows named by an item's category / brand (empty when the model knows neither). A model trained
   * on an event log or on exports names them `cat:…` / `brand:…` (the trainer's readers); one trained with an
   * attribute file uses the file's names as they are: both are looked up. A model that hashes its attribute
   * names (`vocab.attrHash`, a catalogue of any size) has a row for every name: `cat:…` and `brand:…` are hashed.
   */
  attrsOf(category?: string, brand?: string): number[] {
    const out: number[] = [];
    if (this.hash) {
      const { buckets, seed } = this.hash;
      for (const name of categoryBrandAttrs(category, brand)) {
        const r = bucketOf(name, buckets, seed);
        if (!out.includes(r)) out.push(r);
      }
      return out;
    }
    for (const [s, prefix] of [[category, 'cat:'], [brand, 'brand:']] as const) {
      if (s === undefined) continue;
      const r = this.attrs.get(s) ?? this.attrs.get(prefix + s);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** A candidate for `score`, or null when nothing about the item is known (it keeps a neutral score). */
  candidate(c: RerankCandidate): Candidate | null {
    const row = this.items.get(c.id);
    if (row !== undefined) return row;
    const attrs = this.attrsOf(c.category, c.brand);
    return attrs.length ? { attrs } : null;
  }

  /** Model inputs of one stored event (0 to MAX_ITEMS_PER_EVENT); `prevTs` gives the time gap. */
  toModel(e: PerchEvent, prevTs: number | null): ModelEvent[] {
    const kind = KIND[e.type];
    if (kind === undefined) return [];
    const k = EVENT_KINDS.indexOf(kind);
    const out: ModelEvent[] = [];
    let gap = prevTs === null ? GAP_BUCKETS_S.length - 1 : gapBucket((e.ts - prevTs) / 1000);
    for (const it of e.items.slice(0, MAX_ITEMS_PER_EVENT)) {
      const row = this.items.get(it.id);
      out.push(row !== undefined ? { item: row, kind: k, gap } : { item: 0, kind: k, gap, attrs: this.attrsOf(it.category, it.brand) });
      gap = 0; // items of one event happen at once
    }
    return out;
  }
}

/** Whether an event says something about the shopper's intent (list impressions, view_cart do not). */
export function carriesIntent(e: PerchEvent): boolean {
  return KIND[e.type] !== undefined;
}

/**
 * History entries (for explanations and the profile) of one stored event; none for events without intent,
 * so the impressions `rerank()` reports never push the shopper's own actions out of the window.
 */
export function historyOf(e: PerchEvent): HistoryEntry[] {
  if (!carriesIntent(e)) return [];
  return e.items.slice(0, MAX_ITEMS_PER_EVENT).map((it) => {
    const h: HistoryEntry = { type: e.type, id: it.id, ts: e.ts };
    if (it.category !== undefined) h.category = it.category;
    if (it.brand !== undefined) h.brand = it.brand;
    return h;
  });
}
