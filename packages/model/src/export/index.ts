/** Export format of the Perch model: writer, verifying loader, int8 quantisation, SHA-256, signatures and the version log. */
export * from './format.js';
export { buildExport, writeExport, defaultInt8Tensors, type ExportInput, type ExportFiles } from './writer.js';
export { loadExport, parseManifest, IntegrityError, FormatError, type LoadedExport, type ReadFile } from './loader.js';
export { quantizeInt8, dequantizeInt8, type Int8Tensor } from './int8.js';
export { sha256Hex } from './sha256.js';
export { canonicalJson, signingMessage, verifySigned, verifyEd25519, keyIdOf, base64url, fromBase64url, SignatureError, SIGNATURE_ALG, MANIFEST_DOMAIN, CHECKPOINT_DOMAIN, type SignatureField, type Ed25519Verify, type VerifyOptions } from './signature.js';
export { manifestBody, leafHash, nextHead, chain, extendsTo, entryExtends, manifestPosition, checkpointBody, sealManifest, signCheckpoint, isLogPoint, LogError, EMPTY_HEAD, CHECKPOINT_FORMAT, MAX_LEAVES_PAGE, type LogPosition, type LogPoint, type Checkpoint, type LeafSource, type Signer } from './log.js';
export { nobleVerify } from './ed25519-noble.js';
