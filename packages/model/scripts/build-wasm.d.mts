// Types of build-wasm.mjs (for src/plain/simd/gemm-wasm.test.ts).
export declare const WAT_PATH: string;
export declare const OUT_PATH: string;
/** The binary module for the text `wat`. */
export declare function assemble(wat: string): Promise<Uint8Array<ArrayBuffer>>;
/** The text of gemm-wasm.ts for the module bytes. */
export declare function render(bytes: Uint8Array): string;
/** gemm-wasm.ts as gemm.wat makes it now. */
export declare function renderGemmWasm(): Promise<string>;
