/**
 * The page's half of the event boundary: a bounded, structured-cloneable copy of one `track()` argument.
 * Validation itself runs in the worker (`validateEvent`), so the loader stays small and `track()` only
 * copies. The copy must be taken now (the shop may mutate its object later) and must never throw or
 * run away on hostile input:
 * - own enumerable data of plain objects and arrays only (a Date, Map or class instance becomes `{}`
 *   with its own enumerable fields, as `validateEvent` would read it);
 * - a value that cannot be read (throwing getter or Proxy trap) or cloned (function, symbol) becomes
 *   `false`, which every field of the boundary refuses as a wrong type, so the outcome stays a rejection;
 * - caps chosen just above the boundary's own limits, so anything they cut is refused there anyway:
 *   strings 1,024 chars (ids allow 128), arrays 201 entries (max 200 items), 257 keys (max 256; the first
 *   128 and the last 129), depth 4.
 */
const MAX_STRING = 1_024;
const MAX_ARRAY = 201;
const MAX_KEYS = 257;
const MAX_DEPTH = 4;

/** Copies `v` (see the module notes). Never throws. */
export function snapshot(v: unknown, depth = 0): unknown {
  const t = typeof v;
  if (t === 'string') return (v as string).length > MAX_STRING ? (v as string).slice(0, MAX_STRING) : v;
  if (t === 'number' || t === 'boolean' || t === 'bigint' || v == null) return v;
  if (t !== 'object' || depth >= MAX_DEPTH) return false;
  try {
    if (Array.isArray(v)) {
      const n = Math.min(v.length, MAX_ARRAY);
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = snapshotField(v, i, depth);
      return out;
    }
    let keys = Object.keys(v as object);
    const out: Record<string, unknown> = {};
    // Over the cap, the first and the last keys: integer-like keys always come first in key order, so an id
    // after hundreds of them is still copied.
    if (keys.length > MAX_KEYS) keys = keys.slice(0, MAX_KEYS >> 1).concat(keys.slice(keys.length - (MAX_KEYS - (MAX_KEYS >> 1))));
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      // Assigning `__proto__` would set the copy's prototype; the boundary drops that key anyway.
      if (k !== '__proto__') out[k] = snapshotField(v, k, depth);
    }
    return out;
  } catch {
    return false;
  }
}

function snapshotField(o: unknown, k: string | number, depth: number): unknown {
  try {
    return snapshot((o as Record<string | number, unknown>)[k], depth + 1);
  } catch {
    return false;
  }
}
