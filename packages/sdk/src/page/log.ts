/** Debug logging: silent unless `init({ debug: true })`. The shop's console stays clean by default. */
let enabled = false;

export function setDebug(on: boolean): void {
  enabled = on;
}

export function debug(...args: unknown[]): void {
  if (!enabled) return;
  try { console.warn('[perch]', ...args); } catch { /* console may be hostile */ }
}

/** Runs `fn`; on a throw logs it and returns `fallback`. Public functions never throw into the page. */
export function guard<T>(what: string, fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    debug(`${what} failed`, e);
    return fallback;
  }
}

/** Async twin of {@link guard}: the promise always resolves, to `fallback` on failure. */
export async function guardAsync<T>(what: string, fallback: T, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    debug(`${what} failed`, e);
    return fallback;
  }
}
