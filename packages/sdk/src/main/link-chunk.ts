/** Entry of `dist/perch-link.js`: comlink, the worker start-up and the page side of rerank(), loaded when storage is first needed. */
import { registerChunk } from './chunks.js';
import { rerankInWorker } from './rerank-link.js';
import { startWorker } from './worker-link.js';

registerChunk('link', { startWorker, rerankInWorker });
