// Times as the exports write them → seconds (UTC) and how each was read, through DuckDB itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db, lit } from './db.js';
import { TFIX, fixReason, timeColumnKind, timeSql, type Expected, type TimeColumn } from './time.js';

let db: Db;
beforeAll(async () => {
  db = await Db.open();
});
afterAll(() => db.close());

const T = 1709287200; // 2024-03-01T10:00:00Z

async function read(value: string, type: string, expected: Expected): Promise<{ t: number | null; tfix: number }> {
  const kind: TimeColumn = timeColumnKind(type);
  const q = timeSql('v', kind, expected);
  const rows = await db.rows(`SELECT ${q.t} AS t, ${q.tfix} AS tfix FROM (SELECT CAST(${value} AS ${type}) AS v)`);
  const r = rows[0]!;
  return { t: r.t === null ? null : Number(r.t), tfix: Number(r.tfix) };
}

describe('GA4 event_timestamp (INT64 microseconds)', () => {
  it('reads microseconds as they are and converts other units, counting them', async () => {
    expect(await read(`${T}000000`, 'BIGINT', 'micros')).toEqual({ t: T, tfix: TFIX.ok });
    expect(await read(`${T}`, 'BIGINT', 'micros')).toEqual({ t: T, tfix: TFIX.seconds });
    expect(await read(`${T}123`, 'BIGINT', 'micros')).toEqual({ t: T + 0.123, tfix: TFIX.millis });
    expect(await read(`${T}000000500`, 'BIGINT', 'micros')).toEqual({ t: T + 0.0000005, tfix: TFIX.nanos });
  });

  it('reads BigQuery JSON text of digits the same way', async () => {
    expect(await read(lit(`${T}000001`), 'VARCHAR', 'micros')).toEqual({ t: T + 0.000001, tfix: TFIX.ok });
    expect(await read(lit(` ${T}000 `), 'VARCHAR', 'micros')).toEqual({ t: T, tfix: TFIX.millis });
  });

  it('reads date-time strings with their zone, without one as UTC, and refuses the rest', async () => {
    expect(await read(lit('2024-03-01T12:00:00+02:00'), 'VARCHAR', 'micros')).toEqual({ t: T, tfix: TFIX.zonedString });
    expect(await read(lit('2024-03-01T10:00:00Z'), 'VARCHAR', 'micros')).toEqual({ t: T, tfix: TFIX.zonedString });
    expect(await read(lit('2024-03-01 10:00:00'), 'VARCHAR', 'micros')).toEqual({ t: T, tfix: TFIX.noZone });
    expect(await read(lit('yesterday'), 'VARCHAR', 'micros')).toEqual({ t: null, tfix: TFIX.unreadable });
    expect(await read(lit(''), 'VARCHAR', 'micros')).toEqual({ t: null, tfix: TFIX.missing });
    expect(await read('NULL', 'BIGINT', 'micros')).toEqual({ t: null, tfix: TFIX.missing });
  });

  it('leaves non-finite numbers to be reported as such, not as converted', async () => {
    const nan = await read(lit('NaN'), 'VARCHAR', 'micros');
    expect(Number.isNaN(nan.t)).toBe(true);
    expect(nan.tfix).toBe(TFIX.ok);
    expect((await read(lit('Infinity'), 'VARCHAR', 'micros')).t).toBe(Infinity);
  });
});

describe('Segment timestamps (ISO 8601 text or typed)', () => {
  it('reads zoned text exactly, counts text without a zone and numbers', async () => {
    expect(await read(lit('2024-03-01T10:00:00.000Z'), 'VARCHAR', 'iso')).toEqual({ t: T, tfix: TFIX.ok });
    expect(await read(lit('2024-03-01 11:00:00 +0100'), 'VARCHAR', 'iso')).toEqual({ t: T, tfix: TFIX.ok });
    expect(await read(lit('2024-03-01 10:00:00 UTC'), 'VARCHAR', 'iso')).toEqual({ t: T, tfix: TFIX.ok });
    expect(await read(lit('2024-03-01T10:00:00'), 'VARCHAR', 'iso')).toEqual({ t: T, tfix: TFIX.noZone });
    expect(await read(lit('2024-03-01'), 'VARCHAR', 'iso')).toEqual({ t: T - 36000, tfix: TFIX.noZone });
    expect(await read(lit(`${T}000`), 'VARCHAR', 'iso')).toEqual({ t: T, tfix: TFIX.millis });
  });

  it('reads typed timestamps: TIMESTAMPTZ exactly, TIMESTAMP as UTC (counted)', async () => {
    expect(await read(lit('2024-03-01T10:00:00Z'), 'TIMESTAMPTZ', 'iso')).toEqual({ t: T, tfix: TFIX.ok });
    expect(await read(lit('2024-03-01 10:00:00'), 'TIMESTAMP', 'iso')).toEqual({ t: T, tfix: TFIX.noZone });
    expect(await read(lit('2024-03-01 10:00:00'), 'TIMESTAMP_MS', 'iso')).toEqual({ t: T, tfix: TFIX.noZone });
  });

  it('names each repair for the report', () => {
    expect(fixReason(TFIX.millis, 'micros', 'event_timestamp')).toBe('event_timestamp in milliseconds, not microseconds (converted)');
    expect(fixReason(TFIX.seconds, 'iso', 'timestamp')).toBe('numeric timestamp, not a date-time string (read as epoch seconds)');
    expect(fixReason(TFIX.noZone, 'iso', 'timestamp')).toBe('timestamp without a time zone (read as UTC)');
    expect(fixReason(TFIX.ok, 'iso', 'timestamp')).toBeUndefined();
  });
});
