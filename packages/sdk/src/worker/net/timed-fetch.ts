/**
 * `fetch` with a deadline for the whole exchange: headers and body. A request the network never answers
 * (a half-open connection, a proxy that sent headers and then stalled) would otherwise keep its caller
 * waiting for ever: the model side would never load another version, and the federated client would hold
 * its Web Lock and never take part again. Past the deadline the request is aborted and the caller sees a
 * network error (`TimeoutError`), which its own policy handles (keep the cached model; retry the upload with
 * the same idempotency key).
 */

/** Default deadlines (ms): small JSON answers (round, manifest), model files (about 1 MB), one upload attempt. */
export const TIMEOUT_MS = { json: 15_000, file: 60_000, upload: 30_000 } as const;

function deadline(ms: number): AbortSignal {
  if (typeof AbortSignal.timeout === 'function') return AbortSignal.timeout(ms);
  const c = new AbortController();
  setTimeout(() => c.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
  return c.signal;
}

/** A failed exchange as `audit()` shows it (the transparency log, the model's last problem). */
export const describeFailure = (e: unknown): string => `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`;

/** Like `fetch(url, init)`, but rejects once `ms` have passed, including while the body is being read. */
export function timedFetch(url: string, init: RequestInit, ms: number): Promise<Response> {
  return fetch(url, { ...init, signal: deadline(ms) });
}
