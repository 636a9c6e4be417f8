/**
 * In-memory interaction data shared by the trainer, the evaluator and (later) federated clients.
 * Items are dense rows 1..numItems (row 0 = padding/unknown, as in spec.ts); attributes likewise.
 */

/** One user's (or session's) events in time order, as dense rows. */
export interface Sequence {
  /** User or session key from the source. */
  key: string;
  /** Item rows (1..numItems). */
  items: Int32Array;
  /** Event-kind rows (index into EVENT_KINDS). */
  kinds: Uint8Array;
  /** Time-gap bucket of each event relative to the previous one (index into GAP_BUCKETS_S). */
  gaps: Uint8Array;
}

/** Counters of everything a reader skipped or repaired, so a run can say what it ignored. */
export interface ReadStats {
  lines: number;
  events: number;
  malformed: number;
  nonFinite: number;
  duplicateEvents: number;
  shortSequences: number;
  itemsWithoutAttrs: number;
  /** First few problems, `file:line: reason`, for the log. */
  problems: string[];
}

/** A complete dataset: vocabularies, item metadata and sequences. */
export interface Dataset {
  name: string;
  /** Item id strings in row order; vocab[0] is the padding row ''. */
  vocab: string[];
  /** Attribute id strings in row order; attrVocab[0] is ''. */
  attrVocab: string[];
  /** CSR item → attribute rows: attributes of item i are attrIds[attrOffsets[i] .. attrOffsets[i+1]). */
  attrOffsets: Int32Array;
  attrIds: Int32Array;
  /** Category names in row order; categories[0] is the 'unknown' class. */
  categories: string[];
  /** Category row of each item (0 = unknown); length numItems + 1. */
  itemCategory: Int32Array;
  /** True when the source has real event kinds (the purchase-intent head is trained only then). */
  typedEvents: boolean;
  sequences: Sequence[];
  stats: ReadStats;
}

/** Number of items (excluding padding). */
export const numItems = (d: Dataset): number => d.vocab.length - 1;

/** A fresh zeroed stats object. */
export function emptyStats(): ReadStats {
  return { lines: 0, events: 0, malformed: 0, nonFinite: 0, duplicateEvents: 0, shortSequences: 0, itemsWithoutAttrs: 0, problems: [] };
}

/** Records a problem (keeps the first 20 messages; all are counted by the caller). */
export function noteProblem(stats: ReadStats, msg: string): void {
  if (stats.problems.length < 20) stats.problems.push(msg);
}

/** Counts a malformed (skipped) line or record and records why. */
export function noteMalformed(stats: ReadStats, msg: string): void {
  stats.malformed++;
  noteProblem(stats, msg);
}
