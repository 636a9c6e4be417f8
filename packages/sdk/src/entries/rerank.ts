/** Entry of `dist/perch-rerank.js`: the page side of `rerank()`, including the impression it records. */
import { impressionFor } from '../page/rerank/impression.js';
import { registerChunk } from '../page/chunks.js';
import { rerankInWorker } from '../page/rerank/rerank-link.js';

registerChunk('rerank', { rerankInWorker, impressionFor });
