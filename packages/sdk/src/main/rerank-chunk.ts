/** Entry of `dist/perch-rerank.js`: the page side of `rerank()`, including the impression it records. */
import { impressionFor } from '../shared/rerank/impression.js';
import { registerChunk } from './chunks.js';
import { rerankInWorker } from './rerank-link.js';

registerChunk('rerank', { rerankInWorker, impressionFor });
