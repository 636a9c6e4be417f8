/**
 * The model on a tfjs backend, with fallback. At load each backend is probed (webgpu → webgl → wasm → cpu,
 * or the forced one first) by `@perch/model`'s `selectBackend`. At run time a backend error (a lost WebGPU
 * device, an out-of-memory shader) moves the model to the next backend that passes its probe and retries
 * the call: the intent state is plain data owned by the caller, so nothing is lost.
 */
import { BACKEND_ORDER, selectBackend, type BackendName, type BackendProbe } from '../../../../model/src/backend/select.js';
import type { LoadedExport } from '../../../../model/src/export/loader.js';
import { createModel } from '../../../../model/src/tfjs/model.js';
import type { ModelTestFlags } from '../../shared/rerank/api.js';
// The model package's own tfjs-core (the SDK has no direct dependency on it): one tfjs instance in the bundle.
import { env } from '../../../../model/node_modules/@tensorflow/tfjs-core/dist/index.js';
import { PlainWorkerModel, type WorkerModel } from './plain-adapter.js';

/**
 * The wasm backend without threads: its threaded build starts pthread workers from blob URLs, which fails
 * inside a bundled classic worker on cross-origin isolated pages, and threads would compete with the page.
 */
async function loadWasm(paths?: string): Promise<void> {
  const wasm = await import('../../../../model/node_modules/@tensorflow/tfjs-backend-wasm/dist/index.js');
  if (paths) wasm.setWasmPaths(paths);
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
    // cpu: the plain kernels (see plain-adapter.ts); the others: the tfjs model on that backend.
    this.model = choice.backend === 'cpu' ? new PlainWorkerModel(this.loaded) : createModel(this.loaded.dims, this.loaded.weights, this.loaded.vocab.itemAttrs);
    this.info = { backend: choice.backend, reason: describe(choice.probes, choice.backend, force, this.failed), probes: choice.probes };
  }

  /** Test hook: the first backend "loses its device" after `failBackendAfter` calls. */
  private injectFault(): void {
    const n = this.test?.failBackendAfter;
    if (n === undefined || this.failed.length > 0) return;
    if (++this.calls > n) throw new Error('test hook: backend device lost');
  }
}
