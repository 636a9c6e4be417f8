import * as tf from '@tensorflow/tfjs-core';

interface WasmLike {
  readSync(dataId: tf.DataId): unknown;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
}

/**
 * The wasm backend (4.22) has no UnsortedSegmentSum kernel, which tfjs uses for the gradient of `gather`;
 * without it no embedding can be trained on wasm. This registers a plain-JS version (one pass over x): the
 * training step's gathers are small (rows of one batch), so the copy in and out of the wasm heap is cheap.
 * Idempotent; a no-op when a wasm kernel already exists.
 */
export function registerWasmSegmentSum(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const n = (attrs as { numSegments: number }).numSegments;
      const b = backend as unknown as WasmLike;
      const xv = b.readSync(x.dataId) as Float32Array;
      const ids = b.readSync(segmentIds.dataId) as Int32Array;
      const inner = ids.length === 0 ? 0 : xv.length / ids.length;
      const out = new Float32Array(n * inner);
      for (let i = 0; i < ids.length; i++) {
        const s = ids[i] as number;
        if (s < 0 || s >= n) continue;
        for (let j = 0; j < inner; j++) out[s * inner + j] = (out[s * inner + j] as number) + (xv[i * inner + j] as number);
      }
      return b.makeOutput([n, ...x.shape.slice(1)], 'float32', undefined, out);
    },
  });
}
