/** The Gaussian mechanism's noise: i.i.d. N(0, sigma²) per coordinate, sigma = z · C. */
import { gaussian, type Rng } from '../privacy/rng.js';

/** Returns a copy of `delta` with N(0, sigma²) added to every coordinate. Use `cryptoRng()` on real clients. */
export function addGaussianNoise(delta: Float32Array, sigma: number, rng: Rng): Float32Array {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new Error(`addGaussianNoise: sigma must be finite and ≥ 0, got ${sigma}`);
  const out = new Float32Array(delta);
  if (sigma === 0) return out;
  const n = gaussian(rng);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! + sigma * n();
  return out;
}
