/**
 * The loader's size budget (issue 2: the script-tag loader ≤ 6 KB gzipped, the same measure as
 * `pnpm bench bundle`'s `loader_gzip_bytes`). Sizes are deterministic for a given build, so this is a test,
 * not a benchmark: features that only matter once a worker runs belong in the on-demand scripts
 * (`perch-link.js` and friends), and this test says so the day they land in the loader instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../../../e2e/support/build-sdk.mjs';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const gz = (f: string): number => gzipSync(readFileSync(join(dist, f))).length;

describe('bundle size budget', () => {
  it('the script-tag loader stays within 6 KB gzipped', () => {
    ensureSdkBuilt();
    expect(gz('perch.iife.js')).toBeLessThanOrEqual(6 * 1024);
  }, 300_000);
});
