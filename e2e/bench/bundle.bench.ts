// `pnpm bench bundle`: gzipped sizes of what a shop serves: the script-tag loader and the worker bundle.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
// @ts-expect-error plain ESM helper without types
import { ensureSdkBuilt } from '../support/build-sdk.mjs';
// @ts-expect-error plain ESM helper without types
import { SDK_DIST } from '../support/static-server.mjs';

ensureSdkBuilt();
for (const [metric, file] of [['loader_gzip_bytes', 'perch.iife.js'], ['worker_gzip_bytes', 'perch-worker.js']] as const) {
  const bytes = readFileSync(join(SDK_DIST as string, file));
  const gz = gzipSync(bytes, { level: 9 }).length;
  console.error(`${file}: ${bytes.length} B raw, ${gz} B gzip`);
  console.log(JSON.stringify({ bench: 'bundle', metric, value: gz, unit: 'bytes' }));
}
