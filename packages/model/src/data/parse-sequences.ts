import { EVENT_KINDS } from '../spec.js';
import { buildDataset, type RawEvent } from './builder.js';
import { emptyStats, noteProblem, type Dataset } from './types.js';

/** Reviews/ratings in the S3-Rec files are purchase-like signals: every event gets this kind. */
const SEQUENCE_KIND = EVENT_KINDS.indexOf('purchase');

/**
 * Parses the S3-Rec/SASRec sequence format: one user per line, `user item item …` in time order,
 * separated by whitespace. Blank lines are ignored; a line with a user but no item, or a repeated user,
 * is malformed (reported as `file:line`, skipped and counted).
 */
export function parseSequenceFile(text: string, file: string, attrsJson?: string, attrsFile = 'attrs'): Dataset {
  const stats = emptyStats();
  const groups = new Map<string, RawEvent[]>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    stats.lines++;
    const tok = line.split(/\s+/);
    const user = tok[0]!;
    if (tok.length < 2) { stats.malformed++; noteProblem(stats, `${file}:${i + 1}: user ${user} has no items`); continue; }
    if (groups.has(user)) { stats.malformed++; noteProblem(stats, `${file}:${i + 1}: user ${user} appears twice`); continue; }
    groups.set(user, tok.slice(1).map((item) => ({ item, kind: SEQUENCE_KIND })));
  }
  const attrs = attrsJson === undefined ? undefined : parseItemAttributes(attrsJson, attrsFile, stats);
  return buildDataset(file, groups, attrs ? { attrs } : {}, false, stats);
}

/**
 * Parses an `item2attributes` JSON object `{"item": [attr, …]}`. Entries whose value is not an array of
 * numbers/strings are malformed (reported by item id, skipped). Throws on invalid JSON.
 */
export function parseItemAttributes(json: string, file: string, stats = emptyStats()): Map<string, string[]> {
  let obj: unknown;
  try { obj = JSON.parse(json); } catch (e) { throw new Error(`${file}: invalid JSON (${(e as Error).message})`); }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`${file}: expected an object {"item": [attributes]}`);
  const out = new Map<string, string[]>();
  for (const [item, v] of Object.entries(obj as Record<string, unknown>)) {
    const ok = Array.isArray(v) && v.every((a) => (typeof a === 'number' && Number.isFinite(a)) || typeof a === 'string');
    if (!ok) { stats.malformed++; noteProblem(stats, `${file}: item ${item}: attributes must be an array of numbers or strings`); continue; }
    out.set(item, (v as (number | string)[]).map(String));
  }
  return out;
}
