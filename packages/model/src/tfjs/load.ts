import { loadExport, type LoadedExport, type ReadFile } from '../export/loader.js';
import { createModel, type TfGruModel } from './model.js';

/**
 * Loads a verified export (see `export/loader.ts`: every file's SHA-256 is checked first) and builds the
 * tfjs model on the current backend. The caller keeps `loaded.vocab` to map shop item ids to rows.
 */
export async function loadModel(read: ReadFile, manifestBytes?: Uint8Array): Promise<{ model: TfGruModel; loaded: LoadedExport }> {
  const loaded = await loadExport(read, manifestBytes);
  return { model: createModel(loaded.dims, loaded.weights, loaded.vocab.itemAttrs), loaded };
}
