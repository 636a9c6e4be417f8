/** Entry of `dist/perch-fallback.js`: the main-thread memory store, loaded only when no worker can run. */
import { registerChunk } from '../page/chunks.js';
import { MainMemoryApi } from '../page/storage/memory-api.js';

registerChunk('fallback', { memoryApi: (reason) => new MainMemoryApi(reason) });
