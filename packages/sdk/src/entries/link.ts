/**
 * Entry of `dist/perch-link.js`: comlink and the worker start-up, loaded when storage is first needed, and the
 * page side of federated learning (used only in `mode: 'federated'`, which needs the worker anyway).
 */
import { registerChunk } from '../page/chunks.js';
import { workerHooks } from '../page/storage/worker-hooks.js';
import { forgetEvents } from '../page/track/forget-events.js';
import { startWorker } from '../page/storage/worker-link.js';

registerChunk('link', { startWorker, workerHooks, forgetEvents });
