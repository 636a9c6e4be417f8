/**
 * SHA-256 through Web Crypto (`crypto.subtle`), present in browsers, workers and Node ≥ 20 as
 * `globalThis.crypto`, so the same verification runs in the worker and in the trainer.
 */

/** Lower-case hex SHA-256 of bytes or of a string's UTF-8 encoding. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('sha256: crypto.subtle is unavailable (a secure context or Node ≥ 20 is required)');
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
