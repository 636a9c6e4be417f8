// Docs link to each other, to experiment records and to code by relative path; a move or a rename that leaves a
// link dangling is a defect a reader finds first. This test reads every Markdown file of the repository (docs/,
// the READMEs, design notes beside the code) and fails on a relative link whose target does not exist.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'dist', 'artifacts', '.git', '.perch-data', '.cache', 'test-results', 'playwright-report']);

function markdown(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) markdown(p, out);
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out;
}

/** Relative link targets of a Markdown text: `[text](target)` without a scheme, an anchor-only target or a mail address. */
export function relativeLinks(text: string): string[] {
  const noCode = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const out: string[] = [];
  for (const m of noCode.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!.split('#')[0]!;
    if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    out.push(decodeURIComponent(target));
  }
  return out;
}

describe('documentation links', () => {
  it('finds relative links and ignores URLs, anchors and code', () => {
    expect(relativeLinks('see [a](docs/a.md#x), [b](https://x.org/b.md), [c](#top), `[d](nope.md)`, [e](../e%20f.md)'))
      .toEqual(['docs/a.md', '../e f.md']);
  });

  it('every relative link in a Markdown file points at a file or folder that exists', () => {
    const broken: string[] = [];
    const files = markdown(root);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      for (const target of relativeLinks(readFileSync(file, 'utf8'))) {
        if (!existsSync(resolve(dirname(file), target))) broken.push(`${relative(root, file)} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
