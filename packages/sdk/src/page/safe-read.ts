/** Reads `o[k]` on a page-owned object whose getters or Proxy traps may throw; anything unreadable is undefined. */
export function readProp(o: unknown, k: string | number): unknown {
  if ((typeof o !== 'object' && typeof o !== 'function') || o === null) return undefined;
  try {
    return (o as Record<string | number, unknown>)[k];
  } catch {
    return undefined;
  }
}
