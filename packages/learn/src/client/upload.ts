/**
 * Sends one encoded update to the aggregator with the retry policy of `round.ts`: retries only network
 * errors, 408, 429 (honouring Retry-After) and 5xx, with full-jitter backoff, and gives up when the next
 * attempt would land after the round's deadline (the delta expires with its round). Every attempt sends the
 * same bytes with the same Idempotency-Key, so a retry after a lost answer is counted once. Isomorphic:
 * `fetch`, the clock and `sleep` are injected (worker, simulator, tests).
 */
import type { Rng } from '../privacy/rng.js';
import { isRetryable, retryAfterSeconds, retryDelayMs } from './round.js';
import { UPDATE_CONTENT_TYPE } from '../update/wire.js';

export interface UploadOptions {
  /** Absolute URL of `POST /v1/round/:id/updates`. */
  url: string;
  bytes: Uint8Array;
  /** The payload's idempotency key (32 hex), sent as the Idempotency-Key header too. */
  key: string;
  /** Round deadline, ms since epoch on the server clock (adjust for skew before passing it). */
  deadline: number;
  rng: Rng;
  fetch: (url: string, init: { method: string; headers: Record<string, string>; body: Uint8Array }) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called with the exact bytes before every attempt (the SDK's transparency log). */
  onSend?: (bytes: Uint8Array, attempt: number) => void;
  maxAttempts?: number;
}

export type UploadResult =
  | { outcome: 'accepted'; status: number; replayed: boolean; attempts: number }
  | { outcome: 'refused'; status: number; problem: unknown; attempts: number }
  | { outcome: 'expired'; lastStatus: number | undefined; attempts: number };

const parse = (text: string): unknown => { try { return JSON.parse(text); } catch { return text; } };

export async function uploadUpdate(o: UploadOptions): Promise<UploadResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const max = o.maxAttempts ?? 8;
  let lastStatus: number | undefined;
  for (let attempt = 0; attempt < max; attempt++) {
    o.onSend?.(o.bytes, attempt);
    let retryAfter: number | undefined;
    try {
      const res = await o.fetch(o.url, { method: 'POST', headers: { 'content-type': UPDATE_CONTENT_TYPE, 'idempotency-key': `"${o.key}"` }, body: o.bytes });
      lastStatus = res.status;
      if (res.status >= 200 && res.status < 300) {
        return { outcome: 'accepted', status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true', attempts: attempt + 1 };
      }
      const body = await res.text();
      if (!isRetryable(res.status)) return { outcome: 'refused', status: res.status, problem: parse(body), attempts: attempt + 1 };
      retryAfter = retryAfterSeconds(res.headers.get('retry-after'), now());
    } catch {
      lastStatus = undefined; // network error: retryable
    }
    const delay = retryDelayMs(attempt, { retryAfterSeconds: retryAfter, now: now(), deadline: o.deadline, rng: o.rng });
    if (delay === undefined) return { outcome: 'expired', lastStatus, attempts: attempt + 1 };
    await sleep(delay);
  }
  return { outcome: 'expired', lastStatus, attempts: max };
}
