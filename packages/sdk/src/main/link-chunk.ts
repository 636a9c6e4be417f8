/** Entry of `dist/perch-link.js`: comlink and the worker start-up, loaded when storage is first needed. */
import { registerChunk } from './chunks.js';
import { startWorker } from './worker-link.js';

registerChunk('link', { startWorker });
