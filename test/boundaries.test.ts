// The package boundaries are rules, not habits; this test reads every source file and fails on a breach,
// standing in for a lint rule:
// - packages import each other (and e2e/, demo-store/ import them) only by name, through each package's exports
//   map: no relative path into another package, no `@perch/x/src/…`, no subpath the package does not export;
// - inside a package, relative specifiers end in `.js` (one specifier style);
// - @perch/model and @perch/learn run everywhere (browser worker, Node, simulator): no DOM or Node globals and no
//   `node:` imports outside their tests.
// The SDK's own page/worker rules are packages/sdk/src/shared/boundaries.test.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'dist', 'artifacts', '.git', '.perch-data', '.cache']);

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else if (/\.(ts|mts|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

const packages = readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'package.json')));
const exportsOf = new Map(packages.map((p) => {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> };
  return [pkg.name, Object.keys(pkg.exports ?? {})] as const;
}));
const sources = [...files(join(root, 'packages')), ...files(join(root, 'e2e')), ...files(join(root, 'demo-store'))];

/** packages/<name>, e2e or demo-store: the unit a file belongs to. */
function unitOf(abs: string): string {
  const parts = relative(root, abs).split(sep);
  return parts[0] === 'packages' ? `packages/${parts[1]}` : parts[0]!;
}

/** Import specifiers of a file (static, dynamic and re-exports), with comments removed first. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm)].map((m) => m[2]!);
}

/** Source without comments and string contents, so prose mentioning `window` or `process` does not count. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}

describe('package boundaries', () => {
  it('finds the sources it checks', () => {
    expect(packages).toEqual(expect.arrayContaining(['sdk', 'model', 'learn', 'aggregator', 'cli']));
    expect(sources.length).toBeGreaterThan(300);
  });

  it('every cross-package import goes through the other package\'s exports map', () => {
    const bad: string[] = [];
    for (const f of sources) {
      for (const s of specifiers(f)) {
        const where = `${relative(root, f)} → ${s}`;
        if (s.startsWith('.')) {
          const target = resolve(dirname(f), s);
          const t = unitOf(target), u = unitOf(f);
          if (t.startsWith('packages/') && t !== u && existsSync(join(root, t, 'package.json'))) bad.push(`${where} (a relative path into ${t})`);
          continue;
        }
        const m = s.match(/^(@perch\/[a-z-]+)(?:\/(.+))?$/);
        if (!m) continue;
        const keys = exportsOf.get(m[1]!);
        if (!keys) { bad.push(`${where} (no such package)`); continue; }
        const sub = m[2] === undefined ? '.' : `./${m[2]}`;
        if (!keys.includes(sub) && !(sub === '.' && keys.length === 0)) bad.push(`${where} (not in ${m[1]}'s exports: ${keys.join(', ')})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('relative specifiers inside a package name the compiled file (.js), one style', () => {
    const bad = sources.flatMap((f) => specifiers(f).filter((s) => s.startsWith('.') && /\.(ts|mts)$/.test(s)).map((s) => `${relative(root, f)} → ${s}`));
    expect(bad).toEqual([]);
  });

  it('@perch/model and @perch/learn use no DOM or Node globals outside their tests', () => {
    const bad: string[] = [];
    for (const p of ['model', 'learn']) {
      for (const f of files(join(root, 'packages', p, 'src'))) {
        if (/\.test\.ts$|\/testing\//.test(f)) continue;
        const c = code(f);
        const found = c.match(/\b(window|document|localStorage|sessionStorage|process|Buffer|require|__dirname|__filename)\b/);
        if (found) bad.push(`${relative(root, f)}: ${found[1]}`);
        for (const s of specifiers(f)) if (s.startsWith('node:')) bad.push(`${relative(root, f)}: imports ${s}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
