/**
 * Where the worker bundle lives. Default: the folder the loader itself was served from (the IIFE reads
 * `document.currentScript`, the ESM entry its own `import.meta.url`); `assetBase` or `workerUrl` override.
 */
import type { PerchConfig } from '../types.js';

export const WORKER_FILE = 'perch-worker.js';
let defaultBase: string | null = null;

/** Called once by each entry point with the URL of the file that was loaded. */
export function setDefaultAssetBase(fileUrl: string | null | undefined): void {
  if (fileUrl) defaultBase = fileUrl.replace(/[?#].*$/, '').replace(/[^/]*$/, '');
}

/** Absolute worker URL, or null when it cannot be known (then the main-thread fallback runs). */
export function resolveWorkerUrl(config: PerchConfig): string | null {
  const page = typeof location !== 'undefined' ? location.href : undefined;
  try {
    if (config.workerUrl) return new URL(config.workerUrl, page).href;
    const base = config.assetBase ?? defaultBase;
    if (!base) return null;
    return new URL(WORKER_FILE, new URL(base.endsWith('/') ? base : `${base}/`, page)).href;
  } catch {
    return null;
  }
}
