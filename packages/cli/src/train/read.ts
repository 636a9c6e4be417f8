import { UsageError } from '../args.js';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseEventLog, looksLikeExport, parseExports, parseSequenceFile } from '@perch/model/data';
import type { Dataset } from '@perch/model/data';
import { writeFileSync } from 'node:fs';
import { Progress } from '../progress.js';
import type { Args } from './options.js';

/**
 * Reads a dataset file, choosing the reader by content: Perch's own `exportData()` JSON (one export, an
 * array, or one per line), an event log (CSV with a header naming the columns, or JSON Lines) or the S3-Rec
 * sequence format. `attrs` (item2attributes JSON) applies to sequence files.
 */
export function readDataset(file: string, attrsFile?: string): Dataset {
  for (const f of [file, attrsFile]) if (f !== undefined && !existsSync(f)) throw new UsageError(`no such file: ${f}`);
  const text = readFileSync(file, 'utf8');
  const head = text.slice(0, 2000).trimStart();
  const firstLine = head.split('\n', 1)[0] ?? '';
  const isLog = head.startsWith('{') || (/[a-z_]/i.test(firstLine) && firstLine.includes(','));
  const ds = looksLikeExport(text) ? parseExports(text, basename(file)) : isLog ? parseEventLog(text, basename(file)) : parseSequenceFile(text, basename(file), attrsFile ? readFileSync(attrsFile, 'utf8') : undefined, attrsFile ? basename(attrsFile) : undefined);
  ds.name = basename(file);
  return ds;
}

/**
 * The command's input: `--data` (a research or Perch file, above) or a shop's own `--events` export with its
 * `--catalog` feed (../ingest/). For a shop's data the reading report is printed to stderr and, with
 * `--report`, written as JSON.
 */
export async function readInput(args: Args, log: (s: string) => void): Promise<Dataset> {
  const events = args.flags.get('events');
  if (events === undefined) return readDataset(args.flags.get('data')!, args.flags.get('attrs'));
  // DuckDB and the feed parser load only for a shop's data
  const { readShop } = await import('../ingest/dataset.js');
  const { SourceError } = await import('../ingest/report.js');
  const catalog = args.flags.get('catalog');
  const feedBar = new Progress('read feed'), eventsBar = new Progress('read events');
  let shop;
  try {
    shop = await readShop({
      events, ...(catalog !== undefined ? { catalog } : {}),
      onFeedProgress: (bytes, total, items) => feedBar.update(bytes, total ?? bytes, `${items} items`),
      eventOptions: { onProgress: (d: number, t?: number) => eventsBar.update(d, t ?? d) },
    });
  } catch (e) {
    // a source that cannot be read at all (no such file, an HTTP error, not a feed or an export) is the caller's
    // to fix: exit code 2 with the reader's reason
    if (e instanceof SourceError) throw new UsageError(e.message);
    throw e;
  } finally {
    feedBar.done();
    eventsBar.done();
  }
  const { dataset, report } = shop;
  log(`read ${catalog !== undefined ? `${catalog} and ` : ''}${events}:`);
  for (const l of report.lines()) log(l);
  const out = args.flags.get('report');
  if (out) { writeFileSync(out, JSON.stringify(report, null, 2) + '\n'); log(`wrote ${out}`); }
  return dataset;
}
