/**
 * `tsx packages/aggregator/src/keys.ts FILE`: creates the aggregator's signing key file if it is absent (mode 0600)
 * and prints one JSON line `{"keyId", "publicKey", "file", "created"}`, so a start script or a test can pin the
 * public key in the pages' configuration (`modelKeys`) before the pages are built and the aggregator starts. Pass
 * the same FILE to the server with `--signing-key`.
 */
import { resolve } from 'node:path';
import { ensureKeyFile } from './signing/key.js';

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  console.error('usage: tsx packages/aggregator/src/keys.ts FILE');
  process.exit(2);
}
const { key, created } = ensureKeyFile(resolve(file));
console.log(JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey, file: key.file, created }));
