import * as tf from '@tensorflow/tfjs-core';

/**
 * A hand-fused GRU step as one tfjs kernel for the cpu and wasm backends: h' from x, h and the GRU weights in a
 * single pass of plain JS. On these backends one step is ~15 ops whose dispatch costs more than the step's
 * ~20k multiply-adds, so one kernel beats stacking ops. Inference only (no gradient: the tfjs model is never
 * trained). GPU backends keep the stacked ops of `ops.ts` (their data lives on the GPU).
 */
export const GRU_STEP_KERNEL = 'PerchGruStep';

interface CpuOrWasm {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
}

// The wasm backend copies on every readSync: weights are cached per data id (a new id after any assign).
const cache = new WeakMap<object, Float32Array>();
function read(b: CpuOrWasm, t: tf.TensorInfo): Float32Array {
  const hit = cache.get(t.dataId);
  if (hit) return hit;
  const v = b.readSync(t.dataId) as Float32Array;
  cache.set(t.dataId, v);
  return v;
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

function gruStep({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const { x, h, wx, bx, wh, bh } = inputs as Record<'x' | 'h' | 'wx' | 'bx' | 'wh' | 'bh', tf.TensorInfo>;
  const b = backend as CpuOrWasm;
  const d = x.shape[1] as number, H = h.shape[1] as number, G = 3 * H;
  const xv = b.readSync(x.dataId) as Float32Array, hv = b.readSync(h.dataId) as Float32Array;
  const Wx = read(b, wx), Bx = read(b, bx), Wh = read(b, wh), Bh = read(b, bh);
  const gx = Float64Array.from(Bx), gh = Float64Array.from(Bh);
  for (let i = 0; i < d; i++) {
    const xi = xv[i] as number;
    if (xi !== 0) for (let k = 0, o = i * G; k < G; k++) gx[k]! += xi * (Wx[o + k] as number);
  }
  for (let i = 0; i < H; i++) {
    const hi = hv[i] as number;
    if (hi !== 0) for (let k = 0, o = i * G; k < G; k++) gh[k]! += hi * (Wh[o + k] as number);
  }
  const out = new Float32Array(H);
  for (let j = 0; j < H; j++) {
    const r = sig((gx[j] as number) + (gh[j] as number));
    const z = sig((gx[H + j] as number) + (gh[H + j] as number));
    const n = Math.tanh((gx[2 * H + j] as number) + r * (gh[2 * H + j] as number));
    out[j] = (1 - z) * n + z * (hv[j] as number);
  }
  if (tf.getBackend() === 'wasm') return (b.makeOutput as NonNullable<CpuOrWasm['makeOutput']>)([1, H], 'float32', undefined, out);
  return (b.makeTensorInfo as NonNullable<CpuOrWasm['makeTensorInfo']>)([1, H], 'float32', out);
}

let registered = false;

/** Registers the fused step for cpu and wasm (idempotent). */
export function registerFusedGruStep(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ['cpu', 'wasm']) tf.registerKernel({ kernelName: GRU_STEP_KERNEL, backendName, kernelFunc: gruStep as unknown as tf.KernelFunc });
}

/** True when the active backend has the fused step. */
export function hasFusedGruStep(): boolean {
  registerFusedGruStep();
  return tf.getKernel(GRU_STEP_KERNEL, tf.getBackend()) !== undefined;
}

/** One fused step for a single state (x: [1, d], h: [1, H]). */
export function fusedGruStep(x: tf.Tensor2D, h: tf.Tensor2D, w: { wx: tf.Tensor; bx: tf.Tensor; wh: tf.Tensor; bh: tf.Tensor }): tf.Tensor2D {
  return tf.engine().runKernel(GRU_STEP_KERNEL, { x, h, wx: w.wx, bx: w.bx, wh: w.wh, bh: w.bh }, {}) as tf.Tensor2D;
}
