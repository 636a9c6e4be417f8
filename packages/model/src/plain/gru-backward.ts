import type { Weights } from '../spec.js';
import { vecMatBack } from './kernels.js';
import type { GruCache } from './model.js';

/**
 * Backward of one GRU step. dh: gradient w.r.t. the step's output h (read at dh[0..H)); writes the gradient
 * w.r.t. the previous state into dhp[0..H) and w.r.t. the input into dx[dxo..dxo+d); accumulates weight
 * gradients into g. dgx/dgh are 3H scratch vectors.
 */
export function gruBackward(w: Weights, g: Weights, d: number, H: number, x: Float32Array, xo: number, hp: Float32Array, ho: number,
  cache: GruCache, dh: Float32Array, dhp: Float32Array, dx: Float32Array, dxo: number, dgx: Float32Array, dgh: Float32Array): void {
  const co = cache.co, bx = g.gru_bx!, bh = g.gru_bh!;
  for (let j = 0; j < H; j++) {
    const r = cache.r[co + j]!, z = cache.z[co + j]!, n = cache.n[co + j]!, ghn = cache.ghn[co + j]!;
    const dhj = dh[j]!;
    const dan = dhj * (1 - z) * (1 - n * n);
    const daz = dhj * (hp[ho + j]! - n) * z * (1 - z);
    const dar = dan * ghn * r * (1 - r);
    dhp[j] = dhj * z;
    dgx[j] = dar; dgx[H + j] = daz; dgx[2 * H + j] = dan;
    dgh[j] = dar; dgh[H + j] = daz; dgh[2 * H + j] = dan * r;
  }
  for (let k = 0; k < 3 * H; k++) { bx[k] = bx[k]! + dgx[k]!; bh[k] = bh[k]! + dgh[k]!; }
  vecMatBack(x, xo, w.gru_wx!, d, 3 * H, dgx, 0, g.gru_wx!, dx, dxo, false);
  vecMatBack(hp, ho, w.gru_wh!, H, 3 * H, dgh, 0, g.gru_wh!, dhp, 0, true);
}
