/**
 * Registers tfjs's gradient kernels for bundled (browser/worker) builds that train with `TfTrainer`.
 * Bundlers only: tfjs-core's ESM dist files cannot be imported by Node directly (Node code imports
 * '@tensorflow/tfjs', which registers the same kernels in the shared global registry).
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
