import * as tf from '@tensorflow/tfjs-core';

interface CpuOrWasm {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
}

/** One pass over x: out[segmentIds[i]] += x[i] (ids out of range are dropped, as in TensorFlow). */
function segmentSum({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const n = (attrs as { numSegments: number }).numSegments;
  const b = backend as CpuOrWasm;
  const xv = b.readSync(x.dataId) as Float32Array;
  const ids = b.readSync(segmentIds.dataId) as Int32Array;
  const inner = ids.length === 0 ? 0 : xv.length / ids.length;
  const out = new Float32Array(n * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i] as number;
    if (s < 0 || s >= n) continue;
    for (let j = 0; j < inner; j++) out[s * inner + j] = (out[s * inner + j] as number) + (xv[i * inner + j] as number);
  }
  const shape = [n, ...x.shape.slice(1)];
  // Both backends have a `makeOutput`, with different signatures: tell them apart by the backend name.
  if (tf.getBackend() === 'wasm') return (b.makeOutput as NonNullable<CpuOrWasm['makeOutput']>)(shape, 'float32', undefined, out);
  return (b.makeTensorInfo as NonNullable<CpuOrWasm['makeTensorInfo']>)(shape, 'float32', out);
}

let registered = false;

/**
 * `UnsortedSegmentSum` is the gradient of `gather`, so every embedding update goes through it. The wasm backend
 * (4.22) has no such kernel, and the cpu backend's loops over segments (12,101 items = 12,101 masked sums per
 * step, minutes per training step). This registers a single-pass JS kernel for both. Idempotent.
 */
export function registerFastSegmentSum(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ['cpu', 'wasm']) {
    if (tf.getKernel('UnsortedSegmentSum', backendName)) tf.unregisterKernel('UnsortedSegmentSum', backendName);
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName, kernelFunc: segmentSum as unknown as tf.KernelFunc });
  }
}
