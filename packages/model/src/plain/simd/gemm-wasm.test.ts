import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { assemble, OUT_PATH, renderGemmWasm, WAT_PATH } from '../../../scripts/build-wasm.mjs';
import { gemmWasmBytes } from './index.js';

describe('gemm-wasm.ts', () => {
  it('is what scripts/build-wasm.mjs makes from gemm.wat now (run it after editing gemm.wat)', async () => {
    expect(await readFile(OUT_PATH, 'utf8')).toBe(await renderGemmWasm());
  });

  it('decodes to the assembled module, which is valid with SIMD128 and no relaxed SIMD', async () => {
    const bytes = await assemble(await readFile(WAT_PATH, 'utf8'));
    expect(gemmWasmBytes()).toEqual(bytes);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name).sort();
    expect(exports).toEqual(['exp', 'gradCandidates', 'gradQ', 'logits', 'packBytes', 'softmaxGrad']);
    // index.ts compiles it synchronously: older Chrome refuses that on a page's main thread above 4 KB.
    expect(bytes.length).toBeLessThan(4096);
  });
});
