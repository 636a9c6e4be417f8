/**
 * Entry of `dist/perch-link.js`: comlink and the worker start-up, loaded when storage is first needed, and the
 * page side of federated learning (used only in `mode: 'federated'`, which needs the worker anyway).
 */
import { registerChunk } from './chunks.js';
import { workerHooks } from './worker-hooks.js';
import { forgetEvents } from './forget-events.js';
import { startWorker } from './worker-link.js';

registerChunk('link', { startWorker, workerHooks, forgetEvents });
