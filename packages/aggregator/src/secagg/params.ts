/**
 * The public constants of a secure-aggregation round, fixed when it opens: the SecAgg+ graph degree k and
 * threshold t, the modulus, the graph seed, the stage deadlines, and the distributed discrete Gaussian every
 * device encodes with. What the policy leaves open comes from the libraries' own choices: `chooseParams` for
 * (k, t) at the expected cohort (the complete graph, as the simulator does, where its bounds cannot hold),
 * `gammaForBits` for a sum of `maxCohort` devices that wraps with probability ≤ 1e-6, and `calibrateDdgSigma`
 * for σ at the policy's per-round ε over the honest cohort, iterated with γ to a fixed point.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { SecAggRoundDescription } from '@perch/learn/client';
import {
  calibrateDdgSigma, DDG_BETA, ddgScaleFixedPoint, gammaForSigma, honestCohort, rotationLayout, WRAP_PROBABILITY, wrapProbabilityBound, type DdgParams,
} from '@perch/learn/ddg';
import { graphForCohort, maxCohortFor, toB64 } from '@perch/learn/secagg';
import { selectedSize, trainedTensors, type Layout } from '@perch/learn/update';
import type { RoundPolicy, SecAggPolicy } from '../config.js';

export const minCohortOf = (p: RoundPolicy, s: SecAggPolicy): number => s.minCohort ?? p.minClients;
export const maxCohortOf = (p: RoundPolicy, s: SecAggPolicy): number =>
  Math.max(minCohortOf(p, s), s.maxCohort ?? Math.min(p.maxUpdatesPerRound, maxCohortFor(p.targetClients)));

/** (k, t) announced for the round: fixed by the policy, or `graphForCohort` at the expected cohort. */
export function graphParams(p: RoundPolicy, s: SecAggPolicy): { k: number; t: number } {
  if (s.k !== undefined && s.t !== undefined) return { k: s.k, t: s.t };
  return graphForCohort(Math.max(3, p.targetClients));
}

/** γ and σ: σ fixed by the policy (γ from it), or calibrated together with γ to a fixed point. */
export function ddgScale(p: RoundPolicy, s: SecAggPolicy, padded: number, minCohort = minCohortOf(p, s)): { gamma: number; sigma: number } {
  const clip = p.clipBound, N = maxCohortOf(p, s), grid = { clip, dim: padded, bits: s.bits, maxCohort: N };
  if (s.sigma !== undefined) return { gamma: gammaForSigma(grid, s.sigma), sigma: s.sigma };
  const nHonest = honestCohort(minCohort, s.dropout, s.colluding);
  if (nHonest < 1) throw new Error(`secagg: no honest device is guaranteed at min cohort ${minCohort}; set --ddg-sigma`);
  const { gamma, sigma, converged } = ddgScaleFixedPoint(grid, (g) => calibrateDdgSigma({ epsilon: s.epsilonPerRound, delta: s.delta, rounds: 1 }, { clip, gamma: g, beta: DDG_BETA, dim: padded, nHonest }));
  // σ grows with γ (rounding inflates the sensitivity) and γ with σ (the modulus must hold the noise): with too few
  // honest devices or too few bits there is no fixed point, and the iteration runs away.
  if (!converged || !Number.isFinite(gamma) || !(wrapProbabilityBound({ n: N, clip, sigma, dim: padded }, gamma, s.bits) <= 10 * WRAP_PROBABILITY)) {
    throw new Error(`secagg: no noise scale fits ${s.bits} bits for ε ${s.epsilonPerRound} with ${nHonest} honest devices of min cohort ${minCohort} and ${N} summed; raise --secagg-bits or --secagg-min-cohort, or set --ddg-sigma`);
  }
  return { gamma, sigma };
}

/** The description of a new round (stored with it, announced as `secagg` in GET /v1/round). */
export function newRoundParams(p: RoundPolicy, s: SecAggPolicy, roundId: number, layout: Layout, openedAt: number): SecAggRoundDescription {
  // The masked vector carries only the tensors the recipe trains: an honest device's delta is zero elsewhere.
  const tensors = trainedTensors(layout, p.local.frozen), dim = selectedSize(layout, tensors);
  const padded = rotationLayout(dim).padded;
  const { k, t } = graphParams(p, s);
  // Fewer than t + 1 devices could never unmask: the smallest cohort is at least that.
  const minCohort = Math.max(minCohortOf(p, s), t + 1);
  const { gamma, sigma } = ddgScale(p, s, padded, minCohort);
  const a = openedAt + (s.stageMs.advertise ?? p.durationMs);
  const sk = a + s.stageMs.shareKeys, mi = sk + s.stageMs.maskedInput, um = mi + s.stageMs.unmask;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const base = `/v1/round/${roundId}/secagg`;
  return {
    protocol: 'secagg+', bits: s.bits, d: padded, k, t, minCohort, maxCohort: Math.max(minCohort, maxCohortOf(p, s)),
    graphSeed: toB64(new Uint8Array(randomBytes(32))),
    deadlines: { advertise: iso(a), shareKeys: iso(sk), maskedInput: iso(mi), unmask: iso(um) },
    longPollMs: s.longPollMs,
    ddg: { tensors, dim, clip: p.clipBound, gamma, sigma, beta: DDG_BETA, rotationSeed: randomInt(0, 2 ** 32 - 1) >>> 0 },
    urls: { advertise: `${base}/advertise`, shareKeys: `${base}/share-keys`, maskedInput: `${base}/masked-input`, unmask: `${base}/unmask` },
  };
}

/** The encoding parameters of a round (what `encodeDdg` and `decodeDdgSum` take). */
export const ddgParamsOf = (r: SecAggRoundDescription): DdgParams => ({
  dim: r.ddg.dim, clip: r.ddg.clip, gamma: r.ddg.gamma, bits: r.bits, sigma: r.ddg.sigma, seed: r.ddg.rotationSeed, beta: r.ddg.beta,
});

/**
 * Length of each stage (ms). A stage's deadline is set when the previous one closes, at most this long after it,
 * so an early close brings every later deadline forward; the announced `deadlines` are the latest possible ones.
 */
export const stageLengthsOf = (r: SecAggRoundDescription) => {
  const [a, s, m, u] = [r.deadlines.advertise, r.deadlines.shareKeys, r.deadlines.maskedInput, r.deadlines.unmask].map(Date.parse) as [number, number, number, number];
  return { 'share-keys': s - a, 'masked-input': m - s, unmasking: u - m };
};
