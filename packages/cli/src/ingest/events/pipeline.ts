/**
 * From a format's `base` relation (plan.ts) to the EventLog, in SQL: names mapped through the SDK's own
 * `resolveEventName` (a small table built in JS from the DISTINCT names, then joined), every row classified
 * (kept, or dropped for one counted reason), exact duplicates removed, sessions formed (the export's session
 * id, else a new session after `sessionGapSeconds` of inactivity per user), events sorted per session, and
 * only the final integer columns pulled into typed arrays.
 */
import { EVENT_KINDS, GA4_EVENT_KINDS, MAX_ITEMS_PER_EVENT } from '@perch/model/spec';
import { MAX_SHORT_LENGTH, NEEDS_ITEMS, resolveEventName, storedName } from '@perch/sdk/events';
import type { IngestReport } from '../report.js';
import type { Db } from './db.js';
import { LOC_FILE } from './ga4.js';
import { GA4_OTHER_ANALYTICS } from './ga4-names.js';
import type { SourcePlan } from './plan.js';
import { FUTURE_SKEW_S, MIN_TIME_S, TFIX, fixReason, timeSql } from './time.js';

/**
 * Classes of rows (`p`): 0 kept, else why not. Malformed rows and rows whose name has no intent kind (unknown,
 * not behaviour, no intent, no name) are classed by their name alone (`names`); the `ev` table holds the rest,
 * each with the first of the remaining reasons that applies, in this order.
 */
const P = {
  ok: 0,
  malformed: 1,
  unknownName: 2,
  notBehaviour: 3,
  noIntent: 4,
  noName: 5,
  noUser: 6,
  noTime: 7,
  badTime: 8,
  nonFinite: 9,
  early: 10,
  future: 11,
  noItems: 12,
  otherAnalytics: 13,
} as const;

export interface PipelineOptions {
  sessionGapSeconds: number;
  /** Seconds since the epoch of "now", for the future-time check. */
  now: number;
  onProgress?: (done: number, total?: number) => void;
  /** Rows in the files, when known before reading (Parquet metadata), or an estimate. */
  totalRows?: number;
}

/** The sessions of an export, as `readEvents` returns them (`EventLog` adds the source, format and report). */
export interface EventLogData {
  /** distinct item ids as in the export; index = local item number */
  itemIds: string[];
  /** per item: the most specific category (SDK's CATEGORY_KEYS order) and brand seen on it in the export ('' if none) */
  itemCategory: string[];
  itemBrand: string[];
  /**
   * Sessions in CSR form, in order of their start (ties: where their first event is in the export): the steps of
   * session s are [offsets[s], offsets[s+1]), in time order (ties: export order).
   */
  sessionKeys: string[];
  sessionUsers: string[];
  offsets: Int32Array;
  /** per step (one per item of an event, at most MAX_ITEMS_PER_EVENT per event, in the event's item order): index into itemIds */
  item: Int32Array;
  /** per step: row in EVENT_KINDS (@perch/model/spec) */
  kind: Uint8Array;
  /** per step: seconds since the epoch, UTC */
  time: Float64Array;
}

/** `file:line` (JSON, CSV: one line per row assumed) or `file#row` (Parquet) of a `loc`. */
export function whereOf(plan: SourcePlan, loc: number): string {
  const f = Math.floor(loc / LOC_FILE), n = loc - f * LOC_FILE;
  const file = plan.files[f];
  if (!file) return `#${loc}`;
  if (file.format === 'json') return `${file.path}:${n}`;
  if (file.format === 'parquet') return `${file.path}#${n}`;
  // CSV: data row n is line n + 1 (the header), pushed down by every rejected line at or before it.
  let line = n + 1;
  for (const r of file.rejectedLines ?? []) {
    if (r <= line) line++;
    else break;
  }
  return `${file.path}:${line}`;
}

interface Example { loc: number; d: string | null }
const examplesOf = (plan: SourcePlan, v: unknown, detail?: (d: string | null) => string): string[] =>
  ((v as Example[] | null) ?? []).map((e) => {
    const where = whereOf(plan, Number(e.loc));
    const d = detail ? detail(e.d) : e.d;
    return d ? `${where}: ${d}` : where;
  });

const short = (s: string | null, n = 80): string => (s === null ? 'NULL' : JSON.stringify(s.length > n ? `${s.slice(0, n)}…` : s));

interface NameRow { nid: number; name: string | null; kind: number | null; needs: boolean; p: number; type: string | null; reason: string | null; n: number; first: number }

/** Maps the distinct names through `resolveEventName` into the `names` table; counts them into the report. */
async function mapNames(db: Db, plan: SourcePlan, report: IngestReport): Promise<NameRow[]> {
  const rows = await db.rows('SELECT name, count(*)::BIGINT AS n, min(loc) AS first FROM base WHERE bad IS NULL GROUP BY name ORDER BY n DESC, name');
  const out: NameRow[] = rows.map((r, nid) => {
    const name = r.name === null ? null : String(r.name);
    const base = { nid, name, n: Number(r.n), first: Number(r.first) };
    if (name === null) return { ...base, kind: null, needs: false, p: P.noName, type: null, reason: `no event name (${plan.format === 'ga4' ? 'event_name' : 'event_text / event'} is empty)` };
    let res = resolveEventName(name);
    if (typeof res !== 'string' && plan.nameFallback) {
      const alt = plan.nameFallback(name);
      const r2 = alt === undefined ? undefined : resolveEventName(alt);
      if (typeof r2 === 'string') res = r2;
    }
    if (typeof res !== 'string') {
      const p = res.code === 'not_behaviour' ? P.notBehaviour : plan.format === 'ga4' && GA4_OTHER_ANALYTICS.has(name) ? P.otherAnalytics : P.unknownName;
      return { ...base, kind: null, needs: false, p, type: null, reason: res.reason };
    }
    const k = GA4_EVENT_KINDS[res];
    const kind = k === undefined ? null : EVENT_KINDS.indexOf(k);
    return { ...base, kind, needs: NEEDS_ITEMS[res], p: kind === null ? P.noIntent : P.ok, type: res, reason: null };
  });
  await db.run('CREATE TABLE names (nid INTEGER, name VARCHAR, kind UTINYINT, needs BOOLEAN, p UTINYINT)');
  const app = await db.con.createAppender('names');
  for (const r of out) {
    app.appendInteger(r.nid);
    if (r.name === null) app.appendNull(); else app.appendVarchar(r.name);
    if (r.kind === null) app.appendNull(); else app.appendUTinyInt(r.kind);
    app.appendBoolean(r.needs);
    app.appendUTinyInt(r.p);
    app.endRow();
  }
  app.closeSync();

  for (const r of out) if (r.type) report.count(`events.${r.type}`, r.n);
  const noIntent = out.filter((r) => r.p === P.noIntent).reduce((a, r) => a + r.n, 0);
  report.count('skipped_no_intent', noIntent);
  // GA4's own analytics events (page views, engagement, …): skipped, counted by name, not problems
  if (plan.format === 'ga4') {
    const other = out.filter((r) => r.p === P.otherAnalytics);
    report.count('skipped_other_analytics', other.reduce((a, r) => a + r.n, 0));
    for (const r of other) report.count(`skipped_other_analytics.${r.name}`, r.n);
  }
  const byReason = (p: number, reason: string): void => {
    const rs = out.filter((r) => r.p === p);
    // The SDK's reason names the event, except one that looks like personal data: it is not echoed here either.
    report.add(reason, rs.reduce((a, r) => a + r.n, 0), rs.map((r) => `${whereOf(plan, r.first)}: ${r.reason} (${r.n} event${r.n === 1 ? '' : 's'})`));
  };
  byReason(P.unknownName, 'unknown event name');
  byReason(P.notBehaviour, 'e-commerce event that is not shopping behaviour');
  byReason(P.noName, 'event without a name');
  return out;
}

/** Runs the pipeline over `base`; fills `report`. */
export async function runPipeline(db: Db, plan: SourcePlan, opts: PipelineOptions, report: IngestReport): Promise<EventLogData> {
  const progress = opts.onProgress;
  const total = opts.totalRows;
  // While the files are read, DuckDB's estimate of the fraction done, as rows of the (known or estimated) total.
  const readProgress = progress && total !== undefined ? (f: number) => progress(Math.round(f * total), total) : undefined;
  for (let i = 0; i < plan.build.length; i++) await db.run(plan.build[i]!, i === plan.heavy ? readProgress : undefined);
  if (plan.afterBuild) await plan.afterBuild(db, report);

  const names = await mapNames(db, plan, report);
  const tsql = timeSql('ts', plan.time.kind, plan.time.expected);
  const max = MAX_ITEMS_PER_EVENT;
  const future = opts.now + FUTURE_SKEW_S;
  // Rows of events with an intent kind, each once: its class, and for kept rows what the next steps need.
  // Other rows are fully counted by the names above (and malformed rows below); DuckDB pushes the join's few
  // names into the scan, which skips their rows before computing anything on them. `traw` (the time as
  // exported) only where a report quotes it.
  await db.run(`CREATE TABLE ev AS
    WITH s AS (
      SELECT b.loc, b.flags, n.nid, n.kind, n.needs,
        nullif(trim(b.usr), '') AS usr, b.sid, ${tsql.t} AS t, ${tsql.tfix} AS tfix, b.ts, b.ids AS ids0
      FROM base b JOIN (SELECT * FROM names WHERE p = ${P.ok}) n ON b.name = n.name
      WHERE b.bad IS NULL
    ), c AS (
      SELECT *, coalesce(list_filter(ids0, lambda x: x IS NOT NULL), []) AS good,
        CASE WHEN usr IS NULL THEN ${P.noUser}
          WHEN t IS NULL THEN CASE WHEN tfix = ${TFIX.missing} THEN ${P.noTime} ELSE ${P.badTime} END
          WHEN NOT isfinite(t) THEN ${P.nonFinite}
          WHEN t < ${MIN_TIME_S} THEN ${P.early}
          WHEN t > ${future} THEN ${P.future}
          WHEN needs AND len(good) = 0 THEN ${P.noItems}
          ELSE ${P.ok} END::UTINYINT AS p
      FROM s
    )
    SELECT loc, p, nid, kind, coalesce(flags, 0)::UTINYINT AS flags, tfix::UTINYINT AS tfix,
      CASE WHEN p = 0 THEN usr END AS usr,
      CASE WHEN p = 0 THEN sid END AS sid,
      CASE WHEN p = 0 THEN t END AS t,
      CASE WHEN p = 0 THEN good[1:${max}] END AS ids,
      CASE WHEN p = 0 THEN coalesce(len(ids0), 0) - len(good) ELSE 0 END::INTEGER AS noid,
      CASE WHEN p = 0 THEN greatest(len(good) - ${max}, 0) ELSE 0 END::INTEGER AS extra,
      CASE WHEN (p >= ${P.noTime} AND p <= ${P.future}) OR (tfix <> ${TFIX.ok} AND tfix <> ${TFIX.missing}) THEN CAST(ts AS VARCHAR) END AS traw
    FROM c`, plan.heavy < 0 ? readProgress : undefined);

  // Rows and their classes.
  const events = names.reduce((a, r) => a + r.n, 0);
  const bad = (await db.rows(`SELECT bad, count(*)::BIGINT AS n, arg_min({'loc': loc, 'd': bad}, loc, 5) AS ex FROM base WHERE bad IS NOT NULL GROUP BY bad ORDER BY bad`));
  let malformed = 0;
  for (const b of bad) {
    malformed += Number(b.n);
    report.add('malformed row', Number(b.n), examplesOf(plan, b.ex));
  }
  const rowsRead = events + malformed + (report.counts.get('rows') ?? 0); // CSV rejects were counted as rows already
  report.counts.set('rows', rowsRead);
  report.count('events', events);
  const classes = await db.rows(`SELECT p, count(*)::BIGINT AS n, arg_min({'loc': loc, 'd': traw}, loc, 5) AS ex FROM ev WHERE p <> 0 GROUP BY p ORDER BY p`);
  const tcol = plan.time.column;
  const reasons: Record<number, [string, ((d: string | null) => string)?]> = {
    [P.noUser]: [`missing user id (${plan.userColumn})`],
    [P.noTime]: [`missing ${tcol}`],
    [P.badTime]: [`unreadable ${tcol}`, (d) => short(d)],
    [P.nonFinite]: [`non-finite ${tcol}`, (d) => short(d)],
    [P.early]: [`${tcol} before 2000`, (d) => short(d)],
    [P.future]: [`${tcol} in the future`, (d) => short(d)],
    [P.noItems]: ['event needs items but none has an item id'],
  };
  for (const c of classes) {
    const [reason, detail] = reasons[Number(c.p)] ?? [`row class ${String(c.p)}`];
    report.add(reason, Number(c.n), examplesOf(plan, c.ex, detail ?? (() => '')));
  }

  // Repairs and notes on rows that were otherwise readable.
  const fixes = await db.rows(`SELECT tfix, count(*)::BIGINT AS n, arg_min({'loc': loc, 'd': traw}, loc, 5) AS ex FROM ev WHERE tfix NOT IN (${TFIX.ok}, ${TFIX.missing}, ${TFIX.unreadable}) GROUP BY tfix ORDER BY tfix`);
  for (const f of fixes) {
    const reason = fixReason(Number(f.tfix), plan.time.expected, tcol);
    if (reason) report.add(reason, Number(f.n), examplesOf(plan, f.ex, (d) => short(d)));
  }
  const notes = await db.rows(`SELECT
      sum(noid)::BIGINT AS noid, arg_min({'loc': loc, 'd': noid::VARCHAR}, loc, 5) FILTER (WHERE noid > 0) AS noid_ex,
      sum(extra)::BIGINT AS extra, arg_min({'loc': loc, 'd': extra::VARCHAR}, loc, 5) FILTER (WHERE extra > 0) AS extra_ex,
      count(*) FILTER (WHERE p = 0 AND sid IS NULL)::BIGINT AS nosid, arg_min({'loc': loc, 'd': NULL::VARCHAR}, loc, 5) FILTER (WHERE p = 0 AND sid IS NULL) AS nosid_ex
    FROM ev`);
  const nt = notes[0]!;
  report.add('item without an item id (item dropped, event kept)', Number(nt.noid ?? 0), examplesOf(plan, nt.noid_ex, (d) => `${d} item(s) without an id`));
  report.add(`more than ${max} items in an event (extra items dropped)`, Number(nt.extra ?? 0), examplesOf(plan, nt.extra_ex, (d) => `${d} extra item(s)`));
  const noSid = Number(nt.nosid ?? 0);
  if (plan.sessionIdExpected) report.add(`missing ${plan.sessionColumn} (sessionised by a ${opts.sessionGapSeconds} s inactivity gap)`, noSid, examplesOf(plan, nt.nosid_ex));
  for (const [bit, reason] of Object.entries(plan.flagReasons ?? {})) {
    const r = (await db.rows(`SELECT count(*)::BIGINT AS n, arg_min({'loc': loc, 'd': NULL::VARCHAR}, loc, 5) AS ex FROM ev WHERE flags & ${Number(bit)} <> 0`))[0]!;
    report.add(reason, Number(r.n), examplesOf(plan, r.ex));
  }

  // Exact duplicates: the same user, session, time, name and items, exported more than once.
  await db.run(`CREATE TABLE kept AS
    SELECT loc, usr, sid, t, kind, nid, ids,
      row_number() OVER w AS dn, min(loc) OVER w AS orig
    FROM ev WHERE p = 0
    WINDOW w AS (PARTITION BY usr, sid, t, nid, ids ORDER BY loc)`);
  const dups = (await db.rows(`SELECT count(*)::BIGINT AS n, arg_min({'loc': loc, 'd': orig::VARCHAR}, loc, 5) AS ex FROM kept WHERE dn > 1`))[0]!;
  report.add('duplicate event (same user, session, time, name and items; dropped)', Number(dups.n), examplesOf(plan, dups.ex, (d) => `same as ${whereOf(plan, Number(d))}`));
  await db.run('DROP TABLE ev');

  // Sessions: the export's id, else a new session after the inactivity gap (per user, in time order).
  const gap = opts.sessionGapSeconds;
  await db.run(`CREATE TABLE ks AS
    WITH k AS (SELECT loc, usr, sid, t, kind, nid, ids FROM kept WHERE dn = 1),
    g0 AS (
      SELECT loc, usr, t, CASE WHEN t - lag(t) OVER w > ${gap} OR lag(t) OVER w IS NULL THEN 1 ELSE 0 END AS brk
      FROM k WHERE sid IS NULL WINDOW w AS (PARTITION BY usr ORDER BY t, loc)
    ),
    g1 AS (SELECT loc, usr, t, sum(brk) OVER (PARTITION BY usr ORDER BY t, loc ROWS UNBOUNDED PRECEDING) AS gi FROM g0),
    g2 AS (SELECT loc, '@' || strftime(make_timestamp((min(t) OVER (PARTITION BY usr, gi) * 1e6)::BIGINT), '%Y-%m-%dT%H:%M:%S.%fZ') AS skey FROM g1)
    SELECT k.loc, k.usr, coalesce(k.sid, g2.skey) AS skey, k.sid IS NULL AS gapped, k.t, k.kind, k.nid, k.ids
    FROM k LEFT JOIN g2 ON k.sid IS NULL AND g2.loc = k.loc`);
  await db.run('DROP TABLE kept');

  const kept = await db.rows('SELECT nid, count(*)::BIGINT AS n FROM ks GROUP BY nid');
  let keptEvents = 0;
  for (const k of kept) {
    keptEvents += Number(k.n);
    const type = names[Number(k.nid)]?.type;
    if (type) report.count(`kept.${type}`, Number(k.n));
  }
  report.count('events_kept', keptEvents);
  report.count('events_kept_without_items', await db.number('SELECT count(*) FROM ks WHERE len(ids) = 0'));

  // Sessions in order of their start (then of where their first event is in the export): for an export in time
  // order, the order in which they appear, as every reader of the trainer keeps it.
  await db.run(`CREATE TABLE sess AS
    SELECT usr, skey, (row_number() OVER (ORDER BY min(t), min(loc), usr, skey) - 1)::INTEGER AS s, bool_or(gapped) AS gapped
    FROM ks WHERE len(ids) > 0 GROUP BY usr, skey`);
  await db.run(`CREATE TABLE itm AS
    SELECT id, (row_number() OVER (ORDER BY id) - 1)::INTEGER AS ix FROM (SELECT DISTINCT unnest(ids) AS id FROM ks)`);

  // Per item, the most specific category seen on it (CATEGORY_KEYS order; then the most frequent, then the
  // first in text order) and its most frequent brand, over every event of the export that names the item.
  const attrs = await db.strings(`
    WITH occ AS (SELECT id, cat, lvl, brand, sum(n) AS n FROM (${plan.itemAttrs}) WHERE id IN (SELECT id FROM itm) GROUP BY ALL),
    c AS (SELECT id, arg_min(cat, (lvl, -n, cat)) AS cat FROM (SELECT id, cat, lvl, sum(n) AS n FROM occ WHERE cat IS NOT NULL GROUP BY ALL) GROUP BY id),
    b AS (SELECT id, arg_min(brand, (-n, brand)) AS brand FROM (SELECT id, brand, sum(n) AS n FROM occ WHERE brand IS NOT NULL GROUP BY ALL) GROUP BY id)
    SELECT itm.id, coalesce(c.cat, ''), coalesce(b.brand, '') FROM itm LEFT JOIN c USING (id) LEFT JOIN b USING (id) ORDER BY itm.ix`, 3);
  const [itemIds, rawCategory, rawBrand] = attrs as [string[], string[], string[]];
  // Stored as track() stores them on a device (and as the feed reader names them): a long name cut, one that
  // looks like personal data refused; each counted.
  const named = (vals: string[], what: string): string[] => vals.map((v, i) => {
    const r = storedName(v);
    if (r === undefined || typeof r === 'string') return r ?? '';
    // A refused value (it may be personal data) is not echoed: the item and the SDK's reason are.
    if (r.cut !== undefined) report.add(`item ${what} cut to ${MAX_SHORT_LENGTH} characters`, 1, [`item ${short(itemIds[i]!)} ${what} ${short(v, 40)}`]);
    else report.add(`item ${what} refused`, 1, [`item ${short(itemIds[i]!)} ${what}: ${r.fail.reason}`]);
    return r.cut ?? '';
  });
  const itemCategory = named(rawCategory, 'category');
  const itemBrand = named(rawBrand, 'brand');
  const [sessionUsers, skeys, gapped] = (await db.strings('SELECT usr, skey, gapped FROM sess ORDER BY s', 3)) as [string[], string[], string[]];
  const sessionKeys = sessionUsers.map((u, i) => `${u}/${skeys[i]}`);
  report.count('users', await db.number('SELECT count(DISTINCT usr) FROM sess'));
  report.count('sessions', sessionKeys.length);
  report.count('sessions.by_inactivity_gap', gapped.filter((g) => g === 'true').length);
  report.count('items', itemIds.length);

  const n = await db.number('SELECT coalesce(sum(len(ids)), 0) FROM ks');
  const item = new Int32Array(n), kind = new Uint8Array(n), time = new Float64Array(n), sessOf = new Int32Array(n);
  const got = await db.fill(`
    SELECT ss.s, i.ix, e.kind, e.t FROM (
      SELECT usr, skey, t, kind, loc, unnest(ids) AS id, generate_subscripts(ids, 1) AS pos FROM ks WHERE len(ids) > 0
    ) e JOIN sess ss ON ss.usr = e.usr AND ss.skey = e.skey JOIN itm i ON i.id = e.id
    ORDER BY ss.s, e.t, e.loc, e.pos`, [sessOf, item, kind, time]);
  if (got !== n) throw new Error(`internal: expected ${n} entries, read ${got}`);
  const offsets = new Int32Array(sessionKeys.length + 1);
  for (let e = 0; e < n; e++) offsets[sessOf[e]! + 1] = offsets[sessOf[e]! + 1]! + 1;
  for (let s = 0; s < sessionKeys.length; s++) offsets[s + 1] = offsets[s + 1]! + offsets[s]!;
  report.count('entries', n);
  progress?.(rowsRead, rowsRead);
  return { itemIds, itemCategory, itemBrand, sessionKeys, sessionUsers, offsets, item, kind, time };
}

