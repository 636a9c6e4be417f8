/** Export format of the Perch model: writer, verifying loader, int8 quantisation, SHA-256. */
export * from './format.js';
export { buildExport, writeExport, defaultInt8Tensors, type ExportInput, type ExportFiles } from './writer.js';
export { loadExport, parseManifest, IntegrityError, FormatError, type LoadedExport, type ReadFile } from './loader.js';
export { quantizeInt8, dequantizeInt8, type Int8Tensor } from './int8.js';
export { sha256Hex } from './sha256.js';
