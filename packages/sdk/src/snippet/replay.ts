/**
 * Replays the snippet's queued calls on the real API, in the order the page made them. Pure (no `window`):
 * the loader passes the stub it found. Malformed entries are skipped; one failing call never stops the rest.
 */

type Fn = (...args: unknown[]) => unknown;

function lookup(api: object, name: unknown): Fn | undefined {
  if (typeof name !== 'string') return undefined;
  let target: unknown = api;
  for (const part of name.split('.')) {
    if (!target || typeof target !== 'object' || !Object.prototype.hasOwnProperty.call(target, part)) return undefined;
    target = (target as Record<string, unknown>)[part];
  }
  return typeof target === 'function' ? (target as Fn) : undefined;
}

/** Empties `stub` (an array of `[method, ...args]`) into `api`; returns how many calls ran. */
export function replayStub(stub: unknown, api: object): number {
  if (!Array.isArray(stub)) return 0;
  const calls = stub.splice(0, stub.length);
  let ran = 0;
  for (const call of calls) {
    if (!Array.isArray(call)) continue;
    const fn = lookup(api, call[0]);
    if (!fn) continue;
    try {
      const r = fn(...call.slice(1));
      if (r && typeof (r as Promise<unknown>).catch === 'function') (r as Promise<unknown>).catch(() => undefined);
      ran++;
    } catch { /* the API is guarded already; this is belt and braces */ }
  }
  return ran;
}
