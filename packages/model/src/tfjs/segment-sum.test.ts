import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerFastSegmentSum } from './segment-sum.js';

setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);

describe.each(['cpu', 'wasm'])('fast UnsortedSegmentSum (%s)', (backend) => {
  it('sums rows into segments, drops out-of-range ids, and serves the gather gradient', async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    registerFastSegmentSum();
    const y = tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), tf.tensor1d([2, 0, 2, 9], 'int32'), 4);
    expect(y.shape).toEqual([4, 2]);
    expect(Array.from(y.dataSync())).toEqual([3, 4, 0, 0, 6, 8, 0, 0]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, tf.tensor1d([1, 1, 3], 'int32')), tf.tensor2d([[1, 2], [3, 4], [5, 6]]))))(tf.zeros([5, 2]));
    expect(Array.from(g.dataSync())).toEqual([0, 0, 4, 6, 0, 0, 5, 6, 0, 0]);
    tf.dispose([y, g]);
  });
});
