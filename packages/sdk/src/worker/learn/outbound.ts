/**
 * The transparency log: every request body the federated client sends, byte for byte (base64 for binary),
 * with the URL, method and the answer's status. Shown by `audit().outbound`.
 */
import type { OutboundLogEntry } from '../../types.js';

/** Standard base64 of `bytes` (chunked, so a 100 kB body never hits argument-count limits). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function logEntry(url: string, method: string, body: Uint8Array | null): OutboundLogEntry {
  return { ts: Date.now(), url, method, bytes: body ? body.length : 0, body: body ? toBase64(body) : '' };
}
