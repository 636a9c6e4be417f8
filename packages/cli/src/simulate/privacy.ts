/**
 * Privacy parameters of a simulated DP run, from the model package's accountant: the noise multiplier that
 * fits a number of rounds into an ε budget, and the clip bound from the median norm of local updates.
 */
import { l2Norm } from '@perch/learn/client';
import { PrivacyAccountant } from '@perch/learn/privacy';
import type { Sequence } from '@perch/model/data';
import type { LocalTrainer } from '@perch/learn/client';

/** ε after `rounds` rounds of the sampled Gaussian mechanism (q, z) at δ, as the device accountant states it. */
export function epsilonAfter(q: number, z: number, rounds: number, delta: number): number {
  const acc = new PrivacyAccountant({ delta });
  acc.record(q, z, rounds);
  return acc.spent().epsilon;
}

/** Smallest noise multiplier z (to 3 significant digits, bisection) with ε(q, z, rounds) ≤ epsilon. */
export function noiseForBudget(q: number, rounds: number, epsilon: number, delta: number): number {
  let lo = 0.05, hi = 100;
  if (epsilonAfter(q, hi, rounds, delta) > epsilon) throw new RangeError(`no noise multiplier ≤ ${hi} fits ${rounds} rounds at q=${q} into ε=${epsilon}`);
  while (hi - lo > 1e-3 * hi) { const mid = (lo + hi) / 2; if (epsilonAfter(q, mid, rounds, delta) <= epsilon) hi = mid; else lo = mid; }
  return hi;
}

/**
 * Median L2 norm of unclipped local deltas on `seqs` (the pretraining users, data the server already holds, so
 * choosing C this way costs no privacy of the federated users).
 */
export function medianUpdateNorm(local: LocalTrainer, seqs: Sequence[]): number {
  const norms = seqs.map((s) => l2Norm(local.train([s]).delta)).sort((a, b) => a - b);
  if (norms.length === 0) throw new RangeError('medianUpdateNorm: no sequences');
  return norms[norms.length >> 1]!;
}
