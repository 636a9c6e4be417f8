/**
 * The round's recipe can freeze shared dense tensors on the devices (`LocalRecipe.frozen`): an honest device
 * sends zeros there. The aggregate's part for those tensors is then only the central noise (and whatever a
 * misbehaving client sent), which the server optimiser would turn into a random walk of weights nobody
 * trained: Adam moves every coordinate by about its learning rate whatever the size of the input. Zeroing it
 * before the server step is post-processing of the released mean, so it costs no privacy.
 */
import type { Layout } from '../../update/index.js';

/** Zeroes, in place, the parts of a flat delta (layout order) that belong to `frozen` tensors; returns it. */
export function zeroFrozen(delta: Float32Array, layout: Layout, frozen: readonly string[]): Float32Array {
  if (delta.length !== layout.size) throw new RangeError(`delta has ${delta.length} values, the layout ${layout.size}`);
  layout.tensors.forEach((t, i) => {
    if (!frozen.includes(t.name)) return;
    const start = layout.offsets[i]!;
    delta.fill(0, start, i + 1 < layout.tensors.length ? layout.offsets[i + 1]! : layout.size);
  });
  return delta;
}
