/**
 * The distributed discrete Gaussian in the simulator (`--noise ddg`): the parameters every device and the server
 * of a run share, and the accounting each device keeps against the aggregator.
 *
 * A device's ε is that of the noisy sum over the minimum honest cohort n = honestCohort(minCohort, dropout,
 * colluding) (KLS21 Prop. 14 via `ddgEpsilon`), composed over the uploads that device made, with no sampling
 * assumption (the aggregator sees who took part) and replace-one adjacency. σ per device is the smallest for which
 *   - the budget (ε, δ) allows `uploads` uploads, and
 *   - one upload costs at most the policy's ε per round,
 * and γ is the one for which the sum of the largest cohort the server accepts wraps around Z_(2^bits) with
 * probability at most `WRAP_PROBABILITY` (KLS21 Eq. 61). σ and γ depend on each other (γ through the rounding
 * inflation of the sensitivity, σ through the modulus), so they are iterated to a fixed point from a tiny γ, as
 * packages/learn/src/ddg/README.md describes.
 */
import {
  calibrateDdgSigma, DDG_BETA, ddgEpsilon, ddgScaleFixedPoint, honestCohort, packedLength, rotationLayout, wrapProbabilityBound,
  type DdgAccountingParams, type DdgParams,
} from '@perch/learn/ddg';
import { maxCohortFor } from '@perch/learn/secagg';

/** What a run of `--noise ddg` is asked for (command-line options). */
export interface DdgSettings {
  /** Bits per value (m = 2^bits). */
  bits: number;
  /** Uploads one device's budget must allow, or auto (see `autoUploads`). */
  uploads: number | 'auto';
  /** Smallest cohort a round is released from, or auto (see `autoMinCohort`). */
  minCohort: number | 'auto';
  /** Fraction of a cohort assumed to drop out before its noise is in the sum. */
  dropout: number;
  /** Fraction of a cohort assumed to collude with the aggregator (their noise is known to it). */
  colluding: number;
  /** Devices of one round that run the real SecAgg+ protocol (0 = none; every round's masks cancel exactly). */
  secaggDevices: number;
}

/** Everything the devices and the server of a ddg run share, and what the accounting gives. */
export interface DdgPlan {
  bits: number;
  /** Per-device noise standard deviation σ (model units). */
  sigma: number;
  /** Granularity γ (the integer grid is γ·Z). */
  gamma: number;
  beta: number;
  clip: number;
  /** Update dimension and its rotated (padded) length. */
  dim: number;
  paddedDim: number;
  /** Expected clients per round, the smallest cohort released, the largest accepted. */
  expectedCohort: number;
  minCohort: number;
  maxCohort: number;
  dropout: number;
  colluding: number;
  /** Honest devices whose noise the accounting counts. */
  nHonest: number;
  /** Uploads the calibration targeted, and the most the budget allows (capped at the run's rounds). */
  uploadsTarget: number;
  uploadsAllowed: number;
  /** ε against the aggregator after k uploads, k = 0 … uploadsAllowed. */
  epsilonAfter: number[];
  /** Wrap-around bound for a sum of maxCohort devices at these parameters. */
  wrapProbability: number;
  /** Bytes of one packed upload. */
  bytesPerClient: number;
  delta: number;
}

/** The smallest cohort released when not given: ⌊K − 3√K⌋ for K expected clients (a Poisson cohort falls below it in about 0.1 % of rounds). */
export const autoMinCohort = (expected: number): number => Math.max(1, Math.floor(expected - 3 * Math.sqrt(expected)));
/**
 * Uploads a budget must allow when not given: Poisson, ⌈qR + 3√(qR)⌉, above what almost every device takes part
 * in over R rounds at q; cyclic, ⌈qR⌉, what every device takes part in.
 */
export const autoUploads = (q: number, rounds: number, participation: 'poisson' | 'cyclic' = 'poisson'): number =>
  Math.max(1, Math.ceil(participation === 'cyclic' ? q * rounds - 1e-9 : q * rounds + 3 * Math.sqrt(q * rounds)));

export interface PlanInput {
  settings: DdgSettings;
  /** Length of the update vector (the layout's size). */
  dim: number;
  clip: number;
  /** Expected clients per round (q · clients) and the sampling probability. */
  expectedCohort: number;
  q: number;
  participation?: 'poisson' | 'cyclic';
  rounds: number;
  epsilonBudget: number;
  /** The policy's largest ε per upload (none when absent). */
  epsilonPerRound?: number;
  delta: number;
}

/** σ, γ, the cohort bounds and each device's ε after k uploads for a ddg run. */
export function planDdg(p: PlanInput): DdgPlan {
  const s = p.settings;
  const paddedDim = rotationLayout(p.dim).padded;
  const minCohort = s.minCohort === 'auto' ? autoMinCohort(p.expectedCohort) : s.minCohort;
  const maxCohort = Math.max(minCohort, maxCohortFor(p.expectedCohort));
  const nHonest = honestCohort(minCohort, s.dropout, s.colluding);
  if (nHonest < 1) throw new RangeError(`no honest device is guaranteed: minimum cohort ${minCohort} × (1 − ${s.dropout} − ${s.colluding}) < 1`);
  const uploadsTarget = s.uploads === 'auto' ? autoUploads(p.q, p.rounds, p.participation) : s.uploads;
  const base = (gamma: number): Omit<DdgAccountingParams, 'sigma'> => ({ clip: p.clip, gamma, beta: DDG_BETA, dim: paddedDim, nHonest });
  const { gamma, sigma } = ddgScaleFixedPoint({ clip: p.clip, dim: paddedDim, bits: s.bits, maxCohort }, (g) => Math.max(
    calibrateDdgSigma({ epsilon: p.epsilonBudget, delta: p.delta, rounds: uploadsTarget }, base(g)),
    p.epsilonPerRound !== undefined ? calibrateDdgSigma({ epsilon: p.epsilonPerRound, delta: p.delta, rounds: 1 }, base(g)) : 0,
  ));
  const acc: DdgAccountingParams = { ...base(gamma), sigma };
  const epsilonAfter = [0];
  for (let n = 1; n <= p.rounds; n++) {
    const e = ddgEpsilon(acc, p.delta, n).epsilon;
    if (e > p.epsilonBudget) break;
    epsilonAfter.push(e);
  }
  return {
    bits: s.bits, sigma, gamma, beta: DDG_BETA, clip: p.clip, dim: p.dim, paddedDim, expectedCohort: p.expectedCohort, minCohort, maxCohort,
    dropout: s.dropout, colluding: s.colluding, nHonest, uploadsTarget, uploadsAllowed: epsilonAfter.length - 1, epsilonAfter,
    wrapProbability: wrapProbabilityBound({ n: maxCohort, clip: p.clip, sigma, dim: paddedDim }, gamma, s.bits),
    bytesPerClient: packedLength(paddedDim, s.bits), delta: p.delta,
  };
}

/** The accounting parameters of a plan (what `ddgEpsilon` takes). */
export const accountingOf = (plan: DdgPlan): DdgAccountingParams => ({ clip: plan.clip, gamma: plan.gamma, beta: plan.beta, dim: plan.paddedDim, sigma: plan.sigma, nHonest: plan.nHonest });

/** The encoding parameters of one round (its round-public rotation seed). */
export const roundParams = (plan: DdgPlan, seed: number): DdgParams => ({ dim: plan.dim, clip: plan.clip, gamma: plan.gamma, bits: plan.bits, sigma: plan.sigma, seed, beta: plan.beta });
