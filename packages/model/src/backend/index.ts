/** Backend selection for the tfjs model: webgpu → webgl → wasm → cpu, each probed for correctness and speed. */
export { selectBackend, BACKEND_ORDER, type BackendName, type BackendChoice, type BackendProbe, type SelectOptions } from './select.js';
export { correctnessError, speedProbeMs } from './probe.js';
