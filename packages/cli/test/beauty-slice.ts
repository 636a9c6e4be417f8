import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSequenceFile } from '@perch/model/data';
import type { Dataset } from '@perch/model/data';

/** The shared data folder, resolved from the repository root (never copied into the repo). */
export const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));

/** The first `users` users of Amazon Beauty, with the attributes of the items they touched only. */
export function beautySlice(users: number): Dataset {
  const lines = readFileSync(`${DATA}amazon-beauty/Beauty.txt`, 'utf8').split('\n').slice(0, users);
  const items = new Set(lines.flatMap((l) => l.trim().split(/\s+/).slice(1)));
  const all = JSON.parse(readFileSync(`${DATA}amazon-beauty/Beauty_item2attributes.json`, 'utf8')) as Record<string, number[]>;
  const attrs = Object.fromEntries(Object.entries(all).filter(([k]) => items.has(k)));
  return parseSequenceFile(lines.join('\n'), `Beauty.txt[0:${users}]`, JSON.stringify(attrs), 'Beauty_item2attributes.json');
}
