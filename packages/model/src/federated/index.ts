/** Federated update wire format and the client-side update pipeline (pure, isomorphic). */
export {
  encodeUpdate, decodeUpdate, describeUpdate, WIRE_FORMAT_VERSION, HEADER_BYTES, UPDATE_CONTENT_TYPE,
  type UpdatePayload, type WireError, type WireErrorCode, type DecodeResult,
} from './wire.js';
export { makeUpdate, updateDelta, type MakeUpdateOptions, type MadeUpdate } from './client-update.js';
export { roundLayout, isRetryable, retryDelayMs, type RoundDescription } from './round.js';
export { uploadUpdate, type UploadOptions, type UploadResult } from './upload.js';
export { localTrain, LocalTrainer, type LocalTrainOptions, type LocalTrainResult } from './local-train.js';
export { DEFAULT_RECIPE, recipeLoss, recipeProblems, type LocalRecipe } from './recipe.js';
