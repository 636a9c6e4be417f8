/** Entry of `dist/perch-rerank.js`: the page side of `rerank()`, fetched once personalization is granted. */
import { registerChunk } from './chunks.js';
import { rerankInWorker } from './rerank-link.js';

registerChunk('rerank', { rerankInWorker });
