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

/** Absolute folder URL the worker and the on-demand scripts load from, or null when it cannot be known. */
export function resolveAssetBase(config: PerchConfig): string | null {
  try {
    const base = config.assetBase ?? defaultBase;
    return base ? new URL(base.endsWith('/') ? base : `${base}/`, typeof location !== 'undefined' ? location.href : undefined).href : null;
  } catch {
    return null;
  }
}

/** Absolute worker URL, or null when it cannot be known (then the main-thread fallback runs). */
export function resolveWorkerUrl(config: PerchConfig): string | null {
  try {
    if (config.workerUrl) return new URL(config.workerUrl, typeof location !== 'undefined' ? location.href : undefined).href;
  } catch {
    return null;
  }
  const base = resolveAssetBase(config);
  return base && base + WORKER_FILE;
}
