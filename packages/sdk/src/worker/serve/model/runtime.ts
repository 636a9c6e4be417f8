/**
 * The model on a tfjs backend, with fallback. At load each backend is probed (webgpu → webgl → wasm → cpu,
 * or the forced one first) by `@perch/model`'s `selectBackend`. At run time a backend error (a lost WebGPU
 * device, an out-of-memory shader) moves the model to the next backend that passes its probe and retries
 * the call: the intent state is plain data owned by the caller, so nothing is lost.
 */
import { BACKEND_ORDER, selectBackend, type BackendName, type BackendProbe } from '@perch/model/backend';
import type { LoadedExport } from '@perch/model/export';
import { env } from '@tensorflow/tfjs-core';
import type { ModelTestFlags } from '../../../shared/rerank/api.js';
import { BackendWorkerModel } from './backend-model.js';
import { PlainWorkerModel, type WorkerModel } from './plain-adapter.js';

/**
 * The wasm backend without threads: its threaded build starts pthread workers from blob URLs, which fails
 * inside a bundled classic worker on cross-origin isolated pages, and threads would compete with the page.
 * Its `.wasm` binaries are copied beside the SDK scripts at build time, so by default they load from the
 * folder of this worker script (the shop's own origin); `paths` (the page's `assetBase`) overrides that.
 */
async function loadWasm(paths?: string): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const here = (globalThis as { location?: { href: string } }).location?.href;
  const base = paths ?? (here ? new URL('.', here).href : undefined);
  if (base) wasm.setWasmPaths(base);
  env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
}

export interface BackendInfo {
  backend: BackendName;
  /** Why this backend: the forced one, or which candidates were skipped and why. */
  reason: string;
  probes: BackendProbe[];
}

function describe(probes: BackendProbe[], chosen: BackendName, forced?: BackendName, failed: string[] = []): string {
  const skipped = probes.filter((p) => !p.ok).map((p) => `${p.backend}: ${p.reason}`);
  const ok = probes.find((p) => p.backend === chosen);
  const head = forced === chosen ? `forced by init({ backend: '${forced}' })` : `first to pass its probe${ok?.probeMs !== undefined ? ` (${ok.probeMs.toFixed(2)} ms, max error ${ok.maxError?.toExponential(1)})` : ''}`;
  return [head, ...failed.map((f) => `failed at run time: ${f}`), ...skipped.map((s) => `skipped ${s}`)].join('; ');
}

export class ModelRuntime {
  model!: WorkerModel;
  info!: BackendInfo;
  /** Duration of the last warm-up (ms). */
  warmMs = 0;
  private readonly failed: string[] = [];
  private calls = 0;

  private constructor(private readonly loaded: LoadedExport, private readonly wasmPaths?: string, private readonly test?: ModelTestFlags) {}

  /** Picks a backend and builds the model on it. */
  static async create(loaded: LoadedExport, opts: { force?: BackendName; wasmPaths?: string; test?: ModelTestFlags }): Promise<ModelRuntime> {
    const rt = new ModelRuntime(loaded, opts.wasmPaths, opts.test);
    await rt.place(BACKEND_ORDER, opts.force);
    return rt;
  }

  /**
   * Runs `fn` on the model; on a backend error, moves to the next backend and runs it again (at most
   * once per remaining backend). The caller's state must be plain data (it is: `ModelState`).
   */
  async run<T>(fn: (m: WorkerModel) => Promise<T>): Promise<T> {
    for (;;) {
      try {
        this.injectFault();
        return await fn(this.model);
      } catch (e) {
        const name = this.info.backend;
        const rest = BACKEND_ORDER.filter((b) => b !== name && !this.failed.some((f) => f.startsWith(`${b}:`)));
        this.failed.push(`${name}: ${(e as Error)?.message ?? String(e)}`);
        if (rest.length === 0) throw e;
        try { this.model.dispose(); } catch { /* the backend is gone */ }
        await this.place(rest);
      }
    }
  }

  dispose(): void {
    try { this.model.dispose(); } catch { /* already gone */ }
  }

  private async place(order: readonly BackendName[], force?: BackendName): Promise<void> {
    const choice = await selectBackend({ order, force, wasmPaths: this.wasmPaths, loaders: { wasm: () => loadWasm(this.wasmPaths) } });
    // cpu: the plain kernels (see plain-adapter.ts); the others: the tfjs model on that backend for the
    // state, with list scoring on the plain kernels (see backend-model.ts).
    const plain = new PlainWorkerModel(this.loaded);
    this.model = choice.backend === 'cpu' ? plain : new BackendWorkerModel(this.loaded, plain, this.test?.scoreOnBackend === true);
    this.info = { backend: choice.backend, reason: describe(choice.probes, choice.backend, force, this.failed), probes: choice.probes };
    await this.warmUp();
  }

  /**
   * One step and one score on a dummy state, at load (and after a fallback), so the first real call does
   * not pay for the one-time work: the catalog's item representations (tfjs tables on the backend, the
   * plain cache for scoring), shader or wasm kernel compilation, first allocations. Measured in `warmMs`.
   */
  private async warmUp(): Promise<void> {
    const t0 = performance.now();
    const m = this.model;
    try {
      const s = await m.step(m.initialState(), { item: 1, kind: 0, gap: 0 });
      await m.score(s, [1, { attrs: [] }]);
    } catch {
      // A backend that fails here fails again on the first real call, where `run` moves to the next one.
    }
    this.warmMs = performance.now() - t0;
  }

  /** Test hook: the first backend "loses its device" after `failBackendAfter` calls. */
  private injectFault(): void {
    const n = this.test?.failBackendAfter;
    if (n === undefined || this.failed.length > 0) return;
    if (++this.calls > n) throw new Error('test hook: backend device lost');
  }
}
