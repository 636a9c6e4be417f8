/**
 * Event times → seconds since the epoch (UTC), in SQL, with what had to be assumed or repaired on the way.
 *
 * - Numbers are epoch times whose unit is read from their magnitude (every date from 2000 to 5000 falls in
 *   exactly one band): |v| < 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds, else nanoseconds. GA4's
 *   `event_timestamp` is microseconds (BigQuery's JSON export writes INT64 as a string of digits, read the
 *   same way); a value of another unit is converted and counted. Segment's times are ISO 8601 strings or
 *   typed timestamps; a number there is read the same way and counted.
 * - Strings are read as ISO 8601 (or whatever DuckDB's TIMESTAMPTZ cast accepts): with a zone (`Z`, `+02:00`,
 *   `UTC`) exactly; without one as UTC, counted. A typed TIMESTAMP without time zone (Parquet, CSV dumps) is
 *   also read as UTC and counted; a TIMESTAMPTZ is exact.
 * - What cannot be read is counted and the event dropped: missing, unreadable, not finite (NaN, Infinity), or
 *   out of range (before 2000, or after the time of reading plus a day of clock skew).
 */

/** Codes of the `tfix` column: how a time was read (0: as the format specifies). */
export const TFIX = {
  ok: 0,
  seconds: 1,
  millis: 2,
  micros: 3,
  nanos: 4,
  zonedString: 5,
  noZone: 6,
  missing: 10,
  unreadable: 11,
} as const;

/** 2000-01-01T00:00:00Z: earlier times are out of range. */
export const MIN_TIME_S = 946_684_800;
/** Clock skew allowed past the time of reading. */
export const FUTURE_SKEW_S = 86_400;

/** What the format says a time is: GA4's INT64 microseconds, or Segment's ISO 8601 strings / timestamps. */
export type Expected = 'micros' | 'iso';

/** The DuckDB type family of a time column. */
export type TimeColumn = 'number' | 'string' | 'timestamp' | 'timestamptz';

export function timeColumnKind(duckType: string): TimeColumn {
  const t = duckType.toUpperCase();
  if (t.startsWith('TIMESTAMP WITH TIME ZONE') || t === 'TIMESTAMPTZ') return 'timestamptz';
  if (t.startsWith('TIMESTAMP') || t === 'DATE') return 'timestamp';
  if (/^(BIG|SMALL|TINY|HUGE|U)?INT|^INTEGER|^DOUBLE|^FLOAT|^REAL|^DECIMAL|^NUMERIC/.test(t)) return 'number';
  return 'string';
}

/** A zone at the end of a date-time string, after its minutes or seconds. */
const ZONE_RE = String.raw`:\d\d(\.\d+)?\s*([zZ]|[+-]\d\d(:?\d\d)?|UTC|GMT)\s*$`;

const unitOf = (v: string): string => `CASE WHEN abs(${v}) < 1e11 THEN 1 WHEN abs(${v}) < 1e14 THEN 2 WHEN abs(${v}) < 1e17 THEN 3 ELSE 4 END`;
const scaled = (v: string): string => `(${v} / CASE WHEN abs(${v}) < 1e11 THEN 1.0 WHEN abs(${v}) < 1e14 THEN 1e3 WHEN abs(${v}) < 1e17 THEN 1e6 ELSE 1e9 END)`;

/**
 * SQL for the three time columns of a source relation, from column `c` of kind `kind`:
 * `t` (DOUBLE seconds, NULL when unreadable), `tfix` (a {@link TFIX} code), `traw` (the value as text, for
 * examples; evaluated only where a report needs it).
 */
export function timeSql(c: string, kind: TimeColumn, expected: Expected): { t: string; tfix: string; traw: string } {
  // A non-finite number has no unit: it is reported as such, not as converted.
  const numFix = (v: string): string => `CASE WHEN NOT isfinite(${v}) THEN ${TFIX.ok} ${expected === 'micros' ? `WHEN ${unitOf(v)} = 3 THEN ${TFIX.ok} ` : ''}ELSE ${unitOf(v)} END`;
  switch (kind) {
    case 'number': {
      const v = `CAST(${c} AS DOUBLE)`;
      return { t: scaled(v), tfix: `CASE WHEN ${c} IS NULL THEN ${TFIX.missing} ELSE ${numFix(v)} END`, traw: `CAST(${c} AS VARCHAR)` };
    }
    case 'timestamptz':
      return {
        t: `epoch_us(${c}) / 1e6`,
        tfix: `CASE WHEN ${c} IS NULL THEN ${TFIX.missing} ELSE ${expected === 'micros' ? TFIX.zonedString : TFIX.ok} END`,
        traw: `CAST(${c} AS VARCHAR)`,
      };
    case 'timestamp':
      return {
        t: `epoch_us(CAST(${c} AS TIMESTAMP)) / 1e6`,
        tfix: `CASE WHEN ${c} IS NULL THEN ${TFIX.missing} ELSE ${TFIX.noZone} END`,
        traw: `CAST(${c} AS VARCHAR)`,
      };
    case 'string': {
      const s = `trim(CAST(${c} AS VARCHAR))`;
      const v = `TRY_CAST(${s} AS DOUBLE)`;
      // DuckDB's cast takes "+01:00" and "+0100" but not " +0100" (a space before the offset, as some dumps write).
      const ts = `TRY_CAST(regexp_replace(${s}, '\\s+([+-]\\d\\d(:?\\d\\d)?)$', '\\1') AS TIMESTAMPTZ)`;
      return {
        t: `CASE WHEN ${v} IS NOT NULL THEN ${scaled(v)} ELSE epoch_us(${ts}) / 1e6 END`,
        tfix: `CASE WHEN ${c} IS NULL OR ${s} = '' THEN ${TFIX.missing}
          WHEN ${v} IS NOT NULL THEN ${numFix(v)}
          WHEN ${ts} IS NULL THEN ${TFIX.unreadable}
          WHEN NOT regexp_matches(${s}, '${ZONE_RE}') THEN ${TFIX.noZone}
          ELSE ${expected === 'micros' ? TFIX.zonedString : TFIX.ok} END`,
        traw: `CAST(${c} AS VARCHAR)`,
      };
    }
  }
}

/** The report's phrase for a repaired time (a code other than ok), by what the format expects. */
export function fixReason(code: number, expected: Expected, column: string): string | undefined {
  const units: Record<number, string> = { [TFIX.seconds]: 'seconds', [TFIX.millis]: 'milliseconds', [TFIX.micros]: 'microseconds', [TFIX.nanos]: 'nanoseconds' };
  if (units[code]) {
    return expected === 'micros'
      ? `${column} in ${units[code]}, not microseconds (converted)`
      : `numeric ${column}, not a date-time string (read as epoch ${units[code]})`;
  }
  if (code === TFIX.zonedString) return `${column} is a date-time string, not microseconds (read with its time zone)`;
  if (code === TFIX.noZone) return `${column} without a time zone (read as UTC)`;
  return undefined;
}
