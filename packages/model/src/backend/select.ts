import * as tf from '@tensorflow/tfjs-core';
import { correctnessError, speedProbeMs } from './probe.js';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Preference order: the first candidate that initialises, computes correctly and is fast enough wins. */
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendProbe {
  backend: BackendName;
  ok: boolean;
  /** Why it was skipped (absent when chosen or not tried). */
  reason?: string;
  initMs?: number;
  maxError?: number;
  probeMs?: number;
}

export interface BackendChoice {
  backend: BackendName;
  /** Every candidate tried, in order, with its figures or the reason it was skipped. */
  probes: BackendProbe[];
  /** True when `force` named a backend that did not pass and the order was used instead. */
  forceFailed: boolean;
}

export interface SelectOptions {
  /** Try only this backend first; if it fails, fall back to the order unless `strict`. */
  force?: BackendName;
  strict?: boolean;
  /** Candidates in order (default BACKEND_ORDER). */
  order?: readonly BackendName[];
  /** Where the wasm backend's .wasm files are served (a folder URL ending in '/'). */
  wasmPaths?: string;
  /** Registers a backend (imports its package); defaults import the @tensorflow backend packages lazily. */
  loaders?: Partial<Record<BackendName, () => Promise<void>>>;
  /** Largest allowed error of the correctness check (default 1e-3: webgl may run at 16-bit precision). */
  tolerance?: number;
  /** A backend whose speed probe median exceeds this is skipped (default 5 ms). The last candidate is never skipped for speed. */
  maxProbeMs?: number;
}

const defaultLoaders = (wasmPaths?: string): Record<BackendName, () => Promise<void>> => ({
  webgpu: async () => void (await import('@tensorflow/tfjs-backend-webgpu')),
  webgl: async () => void (await import('@tensorflow/tfjs-backend-webgl')),
  wasm: async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (wasmPaths) wasm.setWasmPaths(wasmPaths);
  },
  cpu: async () => void (await import('@tensorflow/tfjs-backend-cpu')),
});

/**
 * Picks the tfjs backend for this context (worker, page or Node): each candidate is registered, initialised,
 * checked against known outputs and timed; the first that passes becomes the active backend. Returns the
 * choice and, for every candidate tried, why it was skipped.
 */
export async function selectBackend(opts: SelectOptions = {}): Promise<BackendChoice> {
  const loaders = { ...defaultLoaders(opts.wasmPaths), ...opts.loaders };
  const order = opts.order ?? BACKEND_ORDER;
  const probes: BackendProbe[] = [];
  let forceFailed = false;
  if (opts.force) {
    const p = await tryBackend(opts.force, loaders[opts.force], opts, true);
    probes.push(p);
    if (p.ok) return { backend: opts.force, probes, forceFailed };
    if (opts.strict) throw new Error(`backend ${opts.force} was forced but failed: ${p.reason}`);
    forceFailed = true;
  }
  const rest = order.filter((b) => b !== opts.force);
  for (const [i, name] of rest.entries()) {
    const p = await tryBackend(name, loaders[name], opts, i === rest.length - 1);
    probes.push(p);
    if (p.ok) return { backend: name, probes, forceFailed };
  }
  throw new Error(`no tfjs backend passed: ${probes.map((p) => `${p.backend}: ${p.reason}`).join('; ')}`);
}

async function tryBackend(name: BackendName, load: () => Promise<void>, opts: SelectOptions, last: boolean): Promise<BackendProbe> {
  const t0 = performance.now();
  try {
    await load();
    if (!(await tf.setBackend(name))) return { backend: name, ok: false, reason: 'failed to initialise' };
    await tf.ready();
  } catch (e) {
    return { backend: name, ok: false, reason: `failed to initialise: ${(e as Error).message ?? e}` };
  }
  const initMs = performance.now() - t0;
  try {
    const maxError = await correctnessError();
    const tol = opts.tolerance ?? 1e-3;
    if (!(maxError <= tol)) return { backend: name, ok: false, reason: `wrong results (max error ${maxError} > ${tol})`, initMs, maxError };
    const probeMs = await speedProbeMs();
    const limit = opts.maxProbeMs ?? 5;
    // The last resort is kept whatever its speed: a slow answer beats none.
    if (probeMs > limit && !last) return { backend: name, ok: false, reason: `too slow (probe ${probeMs.toFixed(2)} ms > ${limit} ms)`, initMs, maxError, probeMs };
    return { backend: name, ok: true, initMs, maxError, probeMs };
  } catch (e) {
    return { backend: name, ok: false, reason: `failed while probing: ${(e as Error).message ?? e}`, initMs };
  }
}
