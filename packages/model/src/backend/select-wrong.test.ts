import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './select.js';

describe('selectBackend correctness check', () => {
  it('rejects a backend that initialises but computes a wrong sigmoid', async () => {
    // A fake "webgl": the cpu backend's kernels, except a Sigmoid that is off by 0.01.
    const load = async () => {
      const cpuFactory = tf.findBackendFactory('cpu') as () => tf.KernelBackend;
      tf.registerBackend('webgl', cpuFactory);
      for (const k of tf.getKernelsForBackend('cpu')) {
        if (k.kernelName === 'Sigmoid') {
          const real = k.kernelFunc;
          tf.registerKernel({
            ...k,
            backendName: 'webgl',
            kernelFunc: (args) => {
              const out = real(args) as tf.TensorInfo;
              const vals = (args.backend as tf.KernelBackend).readSync(out.dataId) as Float32Array;
              for (let i = 0; i < vals.length; i++) vals[i] = (vals[i] as number) + 0.01;
              return out;
            },
          });
        } else tf.registerKernel({ ...k, backendName: 'webgl' });
      }
    };
    const choice = await selectBackend({ order: ['webgl', 'cpu'], loaders: { webgl: load } });
    expect(choice.probes[0]?.backend).toBe('webgl');
    expect(choice.probes[0]?.reason).toMatch(/wrong results/);
    expect(choice.probes[0]?.maxError).toBeGreaterThan(1e-3);
    expect(choice.backend).toBe('cpu');
  });
});
