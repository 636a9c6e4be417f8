/**
 * The real-payload corpus (README.md beside this file): loading, and judging an outcome against a case. Shared
 * by the Node test (`packages/sdk/test/corpus.test.ts`) and the Chromium spec (`../corpus.spec.ts`), so both count
 * the same way.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Expect = 'stored' | 'refused' | 'ignored';

export interface Case {
  id: string;
  source: string;
  url?: string;
  repo?: string;
  path?: string;
  commit?: string;
  via: 'dataLayer' | 'gtag' | 'track';
  name?: string;
  payload: unknown;
  expect: Expect;
  events?: string[];
  why: string;
}

/** What Perch did with one case: the stored event types in order, refusal codes, ignored kinds. */
export interface Outcome { stored: string[]; refused: string[]; ignored: string[] }

export const CORPUS_DIR = dirname(fileURLToPath(import.meta.url));

/** Every case of every JSON file here, with the file it came from. */
export function loadCorpus(dir = CORPUS_DIR): Array<Case & { file: string }> {
  const out: Array<Case & { file: string }> = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    for (const c of JSON.parse(readFileSync(join(dir, f), 'utf8')) as Case[]) out.push({ ...c, file: f });
  }
  return out;
}

/** The outcome class of what happened: silent when nothing was stored, refused or counted. */
export function classify(o: Outcome): Expect | 'silent' {
  if (o.stored.length > 0) return 'stored';
  if (o.refused.length > 0) return 'refused';
  if (o.ignored.length > 0) return 'ignored';
  return 'silent';
}

/** Why an outcome does not meet its case, or null when it does (a stored case also needs its event types, in order). */
export function mismatch(c: Case, o: Outcome): string | null {
  const got = classify(o);
  if (got !== c.expect) return `expected ${c.expect}, got ${got} (${JSON.stringify(o)})`;
  if (c.expect === 'stored' && c.events && JSON.stringify(c.events) !== JSON.stringify(o.stored)) {
    return `expected events ${JSON.stringify(c.events)}, got ${JSON.stringify(o.stored)}`;
  }
  return null;
}

/** Where a case came from, for the counts: its family (the id's prefix up to the first dash) and its file. */
export const familyOf = (c: Case): string => c.id.split('-')[0] ?? c.id;

/** Counts per file and family: cases, and how many met their expectation, by expected outcome. */
export function tally(results: Array<{ c: Case & { file: string }; o: Outcome }>): {
  rows: Array<{ file: string; family: string; expect: Expect; cases: number; met: number }>;
  byExpect: Record<Expect, { cases: number; met: number }>;
  silent: number;
} {
  const rows = new Map<string, { file: string; family: string; expect: Expect; cases: number; met: number }>();
  const byExpect: Record<Expect, { cases: number; met: number }> = { stored: { cases: 0, met: 0 }, refused: { cases: 0, met: 0 }, ignored: { cases: 0, met: 0 } };
  let silent = 0;
  for (const { c, o } of results) {
    const key = `${c.file}|${familyOf(c)}|${c.expect}`;
    const row = rows.get(key) ?? { file: c.file, family: familyOf(c), expect: c.expect, cases: 0, met: 0 };
    const met = mismatch(c, o) === null;
    row.cases++;
    byExpect[c.expect].cases++;
    if (met) {
      row.met++;
      byExpect[c.expect].met++;
    }
    if (classify(o) === 'silent') silent++;
    rows.set(key, row);
  }
  return { rows: [...rows.values()], byExpect, silent };
}
