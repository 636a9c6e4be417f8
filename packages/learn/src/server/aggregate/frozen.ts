/**
 * The round's recipe can freeze shared dense tensors on the devices (`LocalRecipe.frozen`): an honest device
 * sends zeros there. The aggregate's part for those tensors is then only the central noise (and whatever a
 * misbehaving client sent), which the server optimiser would turn into a random walk of weights nobody
 * trained: Adam moves every coordinate by about its learning rate whatever the size of the input. Zeroing it
 * before the server step is post-processing of the released mean, so it costs no privacy.
 */
import { tensorRange, type Layout } from '../../update/index.js';

/** Zeroes, in place, the parts of a flat delta (layout order) that belong to `frozen` tensors; returns it. */
export function zeroFrozen(delta: Float32Array, layout: Layout, frozen: readonly string[]): Float32Array {
  if (delta.length !== layout.size) throw new RangeError(`delta has ${delta.length} values, the layout ${layout.size}`);
  for (const name of frozen) {
    const r = tensorRange(layout, name); // a name the layout lacks has nothing to zero
    if (r) delta.fill(0, r[0], r[1]);
  }
  return delta;
}
