import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './select.js';

const wasmPaths = `${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`;

describe('selectBackend in Node (no GPU): real backend packages', () => {
  it('skips webgpu and webgl with reasons and picks wasm after checking it', async () => {
    const choice = await selectBackend({ wasmPaths, maxProbeMs: 1000 });
    expect(choice.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const [gpu, gl, wasm] = choice.probes;
    expect(gpu?.backend).toBe('webgpu');
    expect(gpu?.ok).toBe(false);
    expect(gpu?.reason).toMatch(/initialise/);
    expect(gl?.backend).toBe('webgl');
    expect(gl?.ok).toBe(false);
    expect(wasm).toMatchObject({ backend: 'wasm', ok: true });
    expect(wasm?.maxError).toBeLessThan(1e-5);
    expect(wasm?.probeMs).toBeGreaterThan(0);
    expect(choice.probes.length).toBe(3);
  });

  it('honours a forced backend, and falls back (or throws when strict) if it fails', async () => {
    const cpu = await selectBackend({ force: 'cpu', wasmPaths });
    expect(cpu.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(cpu.probes).toHaveLength(1);

    const fallback = await selectBackend({ force: 'webgl', wasmPaths, maxProbeMs: 1000 });
    expect(fallback.forceFailed).toBe(true);
    expect(fallback.probes[0]).toMatchObject({ backend: 'webgl', ok: false });
    expect(fallback.backend).toBe('wasm');
    await expect(selectBackend({ force: 'webgl', strict: true })).rejects.toThrow(/webgl was forced but failed/);
  });

  it('skips a backend slower than the limit but keeps the last resort whatever its speed', async () => {
    const choice = await selectBackend({ order: ['wasm', 'cpu'], wasmPaths, maxProbeMs: 0 });
    expect(choice.probes[0]).toMatchObject({ backend: 'wasm', ok: false });
    expect(choice.probes[0]?.reason).toMatch(/too slow/);
    expect(choice.backend).toBe('cpu');
  });

  it('reports a loader failure as the reason', async () => {
    const choice = await selectBackend({ order: ['webgl', 'cpu'], loaders: { webgl: () => Promise.reject(new Error('no GL here')) } });
    expect(choice.probes[0]?.reason).toMatch(/no GL here/);
    expect(choice.backend).toBe('cpu');
  });
});
