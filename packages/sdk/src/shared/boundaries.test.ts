// The thread split is a rule, not a habit: `shared/` is pure (page, worker and Node), `worker/` never
// touches the DOM, and imports only go page → shared ← worker (the bundle entries in `entries/` may take from
// either side). This test reads the sources and fails on a breach, standing in for a lint rule.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '..');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

/** Source without comments and string contents, so prose mentioning `window` does not count. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/from\s+'([^']+)'/g)].map((m) => m[1] as string);
}

describe('thread boundaries', () => {
  it('shared/ and worker/ never use DOM globals', () => {
    const offenders = [...files(join(src, 'shared')), ...files(join(src, 'worker'))]
      .filter((f) => /\b(window|document|localStorage|sessionStorage)\b/.test(code(f)))
      .map((f) => relative(src, f));
    expect(offenders).toEqual([]);
  });
  it('page/ imports nothing from worker/, worker/ nothing from page/, shared/ from neither', () => {
    const bad: string[] = [];
    const check = (dir: string, banned: RegExp): void => {
      for (const f of files(join(src, dir))) for (const i of imports(f)) if (banned.test(i)) bad.push(`${relative(src, f)} → ${i}`);
    };
    check('shared', /\/(page|worker|entries)\//);
    check('page', /\/(worker|entries)\//);
    check('worker', /\/(page|entries)\//);
    expect(bad).toEqual([]);
  });
  it('the page never imports idb (it stays out of the loader)', () => {
    const bad = files(join(src, 'page')).filter((f) => imports(f).includes('idb')).map((f) => relative(src, f));
    expect(bad).toEqual([]);
  });
});
