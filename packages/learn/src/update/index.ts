/**
 * What both sides of a round share: the layout of the trained dense tensors (`layout.ts`) and the binary wire
 * format of one update (`wire.ts`).
 */
export {
  makeLayout, readLayout, requireLayout, layoutHash, tensorRange, flattenShared, unflatten, trainedTensors, selectedSize, selectTensors, expandTensors, type Layout, type TensorSpec,
} from './layout.js';
export {
  encodeUpdate, decodeUpdate, describeUpdate, WIRE_FORMAT_VERSION, HEADER_BYTES, UPDATE_CONTENT_TYPE,
  type UpdatePayload, type WireError, type WireErrorCode, type DecodeResult,
} from './wire.js';
