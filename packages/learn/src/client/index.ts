/**
 * The device's side of a round, in flow order: read the round (`round.ts`), train locally with its recipe
 * (`local-train.ts`, `recipe.ts`), clip (`clip.ts`), add noise (`noise.ts`), quantise (`quantize.ts`), encode
 * (`client-update.ts`, the wire format in `../update`), upload (`upload.ts`). The privacy policy and the accountant
 * that decide whether and at what cost are in `../privacy`.
 */
export { makeUpdate, updateDelta, type MakeUpdateOptions, type MadeUpdate } from './client-update.js';
export { roundLayout, isRetryable, retryAfterSeconds, retryDelayMs, type RoundDescription, type SecAggRoundDescription } from './round.js';
export { uploadUpdate, type UploadOptions, type UploadResult } from './upload.js';
export { localTrain, LocalTrainer, type LocalTrainOptions, type LocalTrainResult } from './local-train.js';
export { DEFAULT_RECIPE, DEFAULT_SECAGG_RECIPE, SECAGG_TRAINED, recipeLoss, recipeProblems, trainedBy, type LocalRecipe } from './recipe.js';
export { l2Norm, clipByL2 } from './clip.js';
export { addGaussianNoise } from './noise.js';
export { quantizeInt8Stochastic, dequantizeInt8, type QuantizedInt8 } from './quantize.js';
export { frozenFromFlag } from './recipe.js';
export { readItemCounts } from './recipe.js';
