/**
 * Browser privacy signals. The runtime turns `training` off when either is set; personalization on the
 * device is not affected, since nothing leaves the device without training.
 */

function read(o: unknown, k: string): unknown {
  if ((typeof o !== 'object' && typeof o !== 'function') || o === null) return undefined;
  try {
    return (o as Record<string, unknown>)[k];
  } catch {
    return undefined;
  }
}

/** Do Not Track is "1" (standard), "yes" (old Firefox) or 1; "0", "unspecified" and null mean not set. */
function dntOn(v: unknown): boolean {
  return v === '1' || v === 'yes' || v === 1;
}

/**
 * Reads Global Privacy Control (`navigator.globalPrivacyControl === true`) and Do Not Track
 * (`navigator.doNotTrack` or the legacy `window.doNotTrack`). Defaults to the globals when present;
 * never throws, whatever the objects' getters do.
 */
export function privacySignals(
  nav: { globalPrivacyControl?: unknown; doNotTrack?: unknown } | undefined = typeof navigator === 'undefined' ? undefined : navigator,
  win: { doNotTrack?: unknown } | undefined = typeof globalThis === 'undefined' ? undefined : (globalThis as { doNotTrack?: unknown }),
): { gpc: boolean; dnt: boolean } {
  // The GPC spec defines a boolean; anything else (a string, a getter returning junk) is not a signal.
  return {
    gpc: read(nav, 'globalPrivacyControl') === true,
    dnt: dntOn(read(nav, 'doNotTrack')) || dntOn(read(win, 'doNotTrack')),
  };
}
