import { UsageError } from '../args.js';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseEventLog, looksLikeExport, parseExports, parseSequenceFile } from '@perch/model/data';
import type { Dataset } from '@perch/model/data';

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
