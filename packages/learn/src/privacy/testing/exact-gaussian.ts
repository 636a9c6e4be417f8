/**
 * The exact privacy curve of the Gaussian mechanism (Balle & Wang 2018, Thm. 8), for tests: an RDP-derived ε must
 * never fall below the exact ε of the same mechanism. μ = sensitivity / σ (composed: √(Σ μᵢ²)).
 */

/** erfc with fractional error < 1.2e-7 (Chebyshev fit, Numerical Recipes §6.2). */
function erfc(x: number): number {
  const z = Math.abs(x), t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
const Phi = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** δ(ε) of the Gaussian mechanism with parameter μ. */
export const exactDelta = (mu: number, eps: number): number => Phi(-eps / mu + mu / 2) - Math.exp(eps) * Phi(-eps / mu - mu / 2);

/** The exact ε at δ, by bisection below `upper` (an ε known to satisfy δ). */
export function exactEpsilon(mu: number, delta: number, upper: number): number {
  let lo = 0, hi = upper;
  for (let i = 0; i < 100; i++) { const m = (lo + hi) / 2; if (exactDelta(mu, m) > delta) lo = m; else hi = m; }
  return hi;
}
