/**
 * What a format's reader hands the shared pipeline: SQL statements that create the relation `base`, one row per
 * event the export holds (malformed rows included), with these columns:
 *
 * | column | type | meaning |
 * |---|---|---|
 * | `loc` | BIGINT | file index · 2^32 + line (JSON) or row (Parquet, CSV), 1-based: where the event is, and the stable order of events with equal times |
 * | `bad` | VARCHAR | why the row could not be read (then every other column is NULL), else NULL |
 * | `name` | VARCHAR | the event name as exported |
 * | `usr` | VARCHAR | the user, by the format's rule |
 * | `sid` | VARCHAR | the export's session id, NULL when it has none |
 * | `ts` | any | the time as exported (see `time`) |
 * | `ids` | VARCHAR[] | the ids of the event's items in order (`items.ts`); NULL where an item has none |
 * | `flags` | UTINYINT | format-specific notes, bits explained by `flagReasons` |
 */
import type { IngestReport } from '../report.js';
import type { Db } from './db.js';
import type { SourceFile } from './sources.js';
import type { Expected, TimeColumn } from './time.js';

export interface SourcePlan {
  format: 'ga4' | 'segment';
  files: SourceFile[];
  /** Statements creating `base` (and whatever it reads from). */
  build: string[];
  /** Index in `build` of the statement that reads the files (-1: `base` is a view over them, read later). */
  heavy: number;
  /**
   * SQL of the item occurrences of every event (whatever its name), grouped: columns `id`, `cat`, `lvl`,
   * `brand` (items.ts) and `n`, the number of occurrences of that combination.
   */
  itemAttrs: string;
  /** The time column: its name (for reasons), DuckDB type family and what the format says it holds. */
  time: { column: string; kind: TimeColumn; expected: Expected };
  /** Names of the user and session fields, for reasons. */
  userColumn: string;
  sessionColumn: string;
  /** Whether the format always carries a session id (GA4): one missing is then a problem, not the rule. */
  sessionIdExpected: boolean;
  /** Reasons of the `flags` bits. */
  flagReasons?: Record<number, string>;
  /** A second reading of a name `resolveEventName` refuses (Segment's snake_case table slugs). */
  nameFallback?: (name: string) => string | undefined;
  /** Problems found while building (a CSV reader's rejected lines), added to the report. */
  afterBuild?: (db: Db, report: IngestReport) => Promise<void>;
}
