/**
 * Reads Perch's own `exportData()` JSON (format `perch-export`, version 1): what a shopper's device holds, as
 * a shop receives it from shoppers who send it on purpose (a data-portability export, an opted-in panel).
 * Accepted: one export object, a JSON array of them, or JSON Lines with one export per line. Each export is
 * one user (key `file#n`); its events become one sequence in stored order.
 *
 * The mapping is the SDK worker's (`GA4_EVENT_KINDS` and `MAX_ITEMS_PER_EVENT` of `spec.ts`, which the worker
 * uses too), so a model trained here reads the same inputs on the device: GA4 event type → event kind (list impressions and `view_cart` carry no item intent and
 * are skipped, not counted as errors), at most MAX_ITEMS_PER_EVENT items per event, `ts` (ms) → time gaps,
 * an item's `category` / `brand` → attributes `cat:…` / `brand:…` (as the event-log reader names them) and
 * the category the category-intent class. Problems are reported as `file:line` (JSON Lines) or `file#n`
 * (array), skipped and counted: not an export, unknown format version, an event that is not an object, an
 * unknown event type, an item without an id, a non-finite timestamp.
 */
import { EVENT_KINDS, MAX_ITEMS_PER_EVENT } from '../spec.js';
import { buildDataset, categoryBrandAttrs, type RawEvent } from './builder.js';
import { KIND_ALIASES } from './parse-events.js';
import { emptyStats, noteMalformed, noteProblem, type Dataset, type ReadStats } from './types.js';

/** Stored event types that carry no item intent: skipped silently, as the worker skips them. */
const NO_INTENT = new Set(['view_item_list', 'view_cart']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when `text` looks like Perch exports (so the CLI can pick this reader by content). */
export function looksLikeExport(text: string): boolean {
  const head = text.slice(0, 4096).trimStart();
  return (head.startsWith('{') || head.startsWith('[')) && /"format"\s*:\s*"perch-export"/.test(head);
}

/** Splits the file into exports with where each came from. */
function documents(text: string, file: string, stats: ReadStats): { where: string; doc: unknown }[] {
  const t = text.trim();
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) ? v.map((doc, i) => ({ where: `${file}#${i}`, doc })) : [{ where: file, doc: v }];
  } catch { /* not one JSON document: JSON Lines */ }
  const out: { where: string; doc: unknown }[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try { out.push({ where: `${file}:${i + 1}`, doc: JSON.parse(line) }); } catch { noteMalformed(stats, `${file}:${i + 1}: invalid JSON`); }
  });
  return out;
}

export function parseExports(text: string, file: string): Dataset {
  const stats = emptyStats();
  const groups = new Map<string, RawEvent[]>();
  const attrs = new Map<string, string[]>();
  const categories = new Map<string, string>();
  for (const { where, doc } of documents(text, file, stats)) {
    stats.lines++;
    if (!isObj(doc) || doc.format !== 'perch-export') { noteMalformed(stats, `${where}: not a perch-export object`); continue; }
    if (doc.version !== 1) { noteMalformed(stats, `${where}: unsupported export version ${JSON.stringify(doc.version)}`); continue; }
    if (!Array.isArray(doc.events)) { noteMalformed(stats, `${where}: events is not an array`); continue; }
    const evs: RawEvent[] = [];
    doc.events.forEach((e: unknown, j: number) => {
      const at = `${where}: event ${j}`;
      if (!isObj(e)) { noteMalformed(stats, `${at}: not an object`); return; }
      const type = typeof e.type === 'string' ? e.type : '';
      if (NO_INTENT.has(type)) return;
      const kind = KIND_ALIASES[type.toLowerCase()];
      if (!kind) { noteMalformed(stats, `${at}: unknown event type ${JSON.stringify(e.type)}`); return; }
      let time: number | undefined;
      if (e.ts !== undefined) {
        if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) { stats.nonFinite++; noteProblem(stats, `${at}: non-finite timestamp`); return; }
        time = e.ts / 1000;
      }
      const items = Array.isArray(e.items) ? e.items : [];
      for (const it of items.slice(0, MAX_ITEMS_PER_EVENT)) {
        const id = isObj(it) && typeof it.id === 'string' && it.id ? it.id : null;
        if (!id) { noteMalformed(stats, `${at}: an item without an id`); continue; }
        const cat = typeof it.category === 'string' ? it.category : '', brand = typeof it.brand === 'string' ? it.brand : '';
        if (cat || brand) attrs.set(id, categoryBrandAttrs(cat, brand));
        if (cat) categories.set(id, cat);
        evs.push({ item: id, kind: EVENT_KINDS.indexOf(kind as (typeof EVENT_KINDS)[number]), ...(time !== undefined ? { time } : {}) });
      }
    });
    groups.set(where, evs);
  }
  return buildDataset(file, groups, { attrs, categories }, true, stats);
}
