/**
 * The device's privacy policy: the limits a shop pins in the configuration its pages ship, which the aggregator
 * cannot change. Every round description is untrusted input; `checkRound` accepts a round only if taking part
 * cannot weaken what the policy promises against the aggregator itself:
 * - the device's own noise is at least `minNoiseMultiplier` (noise the server says it will add is never counted:
 *   the device cannot check it);
 * - the device clips to the pinned `clipBound` (the server's norm check is tuned to the same value);
 * - the round promises at least `minCohort` updates before it publishes;
 * - the round trains exactly the pinned `trainable` tensors (a subset would concentrate the clip budget on a few
 *   values; a superset could include tensors the shop never reviewed);
 * - the recipe has only known fields, each within its bounds (an unknown recipe is refused, not guessed);
 * - one upload costs at most `epsilonPerRound` against the aggregator.
 * The total budget (`epsilonBudget` at `delta`) is the device accountant's (`device-accountant.ts`).
 *
 * A round that announces `secagg` (secure aggregation with the distributed discrete Gaussian) is checked against
 * the policy's `secagg` part instead of the local-noise rules (`secagg-policy.ts`), and only when the caller says
 * it can run such a round (the length of its update); the clip and recipe rules hold for both, and the trained
 * tensors are those the policy's `secagg.trainable` pins (a secure-aggregation round's masked vector carries only them).
 */
import { DEFAULT_RECIPE, recipeProblems, trainedBy, type LocalRecipe } from '../client/recipe.js';
import { SHARED_DENSE_WEIGHTS } from '@perch/model/spec';
import { readLayout, selectedSize, trainedTensors, type Layout } from '../update/layout.js';
import { ddgEpsilon } from '../ddg/accountant.js';
import { wrapProbabilityBound } from '../ddg/modular.js';
import { serverViewEpsilon } from './accountant.js';
import {
  deviceDdgNoise, readSecAggPolicy, readSecAggRound, readTrainable, requiredGraph, roundingInflation,
  type DeviceDdgNoise, type SecAggPolicy, type SecAggRoundView,
} from './secagg-policy.js';

export interface PrivacyPolicy {
  /** Smallest noise multiplier z the device adds itself (noise std z·C per coordinate). */
  minNoiseMultiplier: number;
  /** L2 bound C the device clips its delta to; a round announcing another bound is refused. */
  clipBound: number;
  /** Smallest number of updates a round may publish from; rounds announcing fewer are refused. */
  minCohort: number;
  /** Largest ε (against the aggregator, at `delta`) one upload may cost. */
  epsilonPerRound: number;
  /** Total ε budget against the aggregator, at `delta`; a later configuration can lower it, never raise it. */
  epsilonBudget: number;
  /** δ at which every ε is stated. */
  delta: number;
  /** The shared dense tensors a round must train: exactly these. */
  trainable: readonly string[];
  /** Secure-aggregation rounds: the device's own limits for them; absent or null → it takes part in none. */
  secagg?: SecAggPolicy | null;
}

export { trainedBy };

/**
 * Defaults: ε 8 in total against the aggregator at δ 10⁻¹⁰ (below 1/(100·N) for shops of up to 10⁸ devices), at
 * most 3 per upload, device noise z ≥ 5, C = 1 (what these allow: docs/privacy.md). The cohort minimum does not
 * change ε under local noise (the device counts no other device's noise); it keeps a round from publishing what
 * one or a few devices sent.
 */
export const DEFAULT_POLICY: Readonly<PrivacyPolicy> = {
  minNoiseMultiplier: 5, clipBound: 1, minCohort: 10, epsilonPerRound: 3, epsilonBudget: 8, delta: 1e-10,
  trainable: trainedBy(DEFAULT_RECIPE), secagg: null,
};

export type RefusalCode =
  | 'malformed_round' | 'noise_below_floor' | 'central_noise_on_trust' | 'clip_bound' | 'cohort'
  | 'trainable' | 'unknown_recipe' | 'epsilon_per_round' | 'cohort_run'
  | 'secagg_unsupported' | 'secagg_not_pinned' | 'secagg_cohort' | 'secagg_degree' | 'secagg_threshold' | 'secagg_bits'
  | 'ddg_rounding' | 'ddg_wrap';

export interface Refusal { code: RefusalCode; reason: string }

/**
 * A refusal names its first problem (`code`, `reason`); `problems` lists every one found (a secure-aggregation
 * round is checked whole once it is readable; a local round stops at the first).
 */
export type RoundRefused = { ok: false; code: RefusalCode; reason: string; problems: Refusal[] };

export type RoundCheck =
  | { ok: true; mode: 'local'; z: number; centralZ: number; q: number; recipe: LocalRecipe; epsilonUpload: number }
  | RoundRefused;

/**
 * A secure-aggregation round the device may take part in: the checked round constants, the noise it adds (its own
 * σ_dev, never the announced one) and the ε of one upload (`ddgEpsilon` over the pinned honest cohort).
 */
export interface SecAggRoundAccepted {
  ok: true;
  mode: 'secagg';
  q: number;
  recipe: LocalRecipe;
  epsilonUpload: number;
  secagg: SecAggRoundView;
  noise: DeviceDdgNoise;
}

/** What a device that can run secure-aggregation rounds passes to `checkRound`. */
export interface SecAggCapability {
  /**
   * Length of the device's update vector (its layout size): the round's announced layout must have it. The
   * round's `ddg.tensors` must be the tensors its recipe trains, and `ddg.dim` their size.
   */
  updateDim: number;
}

const RECIPE_FIELDS = ['epochs', 'learningRate', 'negatives', 'virtualBatch', 'dropout', 'frozen'] as const;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const refuse = (code: RefusalCode, reason: string): RoundRefused => ({ ok: false, code, reason, problems: [{ code, reason }] });
const refuseAll = (problems: Refusal[]): RoundRefused => ({ ok: false, code: problems[0]!.code, reason: problems[0]!.reason, problems });

/** The round's recipe, read strictly: absent → the default; unknown fields or out-of-bound values → null. */
function strictRecipe(raw: unknown): { recipe: LocalRecipe } | { problem: string } {
  if (raw === undefined) return { recipe: { ...DEFAULT_RECIPE, frozen: [...DEFAULT_RECIPE.frozen] } };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { problem: 'the recipe is not an object' };
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !(RECIPE_FIELDS as readonly string[]).includes(k));
  if (unknown.length) return { problem: `unknown recipe field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}` };
  const recipe = { ...DEFAULT_RECIPE, ...o } as LocalRecipe;
  const bad = recipeProblems(recipe);
  return bad.length ? { problem: bad.join('; ') } : { recipe: { ...recipe, frozen: [...recipe.frozen] } };
}

/** The round's recipe, checked against the pinned trainable tensors (the policy's, or its secagg part's). */
function recipeCheck(raw: unknown, trainable: readonly string[]): { recipe: LocalRecipe } | Refusal {
  const read = strictRecipe(raw);
  if ('problem' in read) return { code: 'unknown_recipe', reason: `the round's training recipe is not one the device knows: ${read.problem}` };
  const trained = trainedBy(read.recipe);
  const pinned = new Set(trainable);
  if (trained.length !== pinned.size || trained.some((n) => !pinned.has(n))) {
    return { code: 'trainable', reason: `the round trains ${trained.join(', ') || 'nothing'}; the policy allows exactly ${[...pinned].join(', ')}` };
  }
  return read;
}

/**
 * Whether the device may take part in `round` (an untrusted round description) under `policy`; on success the
 * noise it adds (the round's z), the announced central z (never counted against the aggregator) and the recipe.
 * A round with `secagg` is refused (`secagg_unsupported`) unless the caller passes `secagg` (it can run such a
 * round); it is then checked by the secure-aggregation rules and, if accepted, answered with `mode: 'secagg'`.
 */
export function checkRound(round: unknown, policy: PrivacyPolicy): RoundCheck;
export function checkRound(round: unknown, policy: PrivacyPolicy, secagg: SecAggCapability): RoundCheck | SecAggRoundAccepted;
export function checkRound(round: unknown, policy: PrivacyPolicy, secagg?: SecAggCapability): RoundCheck | SecAggRoundAccepted {
  const r = (round && typeof round === 'object' ? round : {}) as Record<string, unknown>;
  if (r.secagg !== undefined && r.secagg !== null) {
    return secagg ? checkSecAggRound(r, policy, secagg) : refuse('secagg_unsupported', 'the round runs secure aggregation, which this client does not take part in');
  }
  const z = r.noiseMultiplier, zc = r.centralNoiseMultiplier ?? 0, c = r.clipBound, min = r.minClients, q = r.samplingProbability;
  if (!finite(z) || z < 0 || !finite(zc) || zc < 0 || !finite(c) || !finite(min) || !finite(q) || !(q > 0 && q <= 1)) {
    return refuse('malformed_round', 'the round description lacks a readable noise multiplier, clip bound, cohort size or sampling probability');
  }
  if (z < policy.minNoiseMultiplier) {
    return zc > 0
      ? refuse('central_noise_on_trust', `the round asks for device noise z = ${z} below the policy's ${policy.minNoiseMultiplier} and relies on central noise z_c = ${zc} that the device cannot check`)
      : refuse('noise_below_floor', `the round asks for device noise z = ${z}, below the policy's minimum ${policy.minNoiseMultiplier}`);
  }
  if (c !== policy.clipBound) return refuse('clip_bound', `the round's clip bound ${c} differs from the policy's ${policy.clipBound}`);
  if (min < policy.minCohort) return refuse('cohort', `the round would publish from ${min} update${min === 1 ? '' : 's'}, below the policy's minimum cohort ${policy.minCohort}`);
  const read = recipeCheck(r.local, policy.trainable);
  if ('code' in read) return refuse(read.code, read.reason);
  const epsilonUpload = serverViewEpsilon(1, z, policy.delta).epsilon;
  if (!(epsilonUpload <= policy.epsilonPerRound)) {
    return refuse('epsilon_per_round', `one upload at z = ${z} costs ε ${epsilonUpload.toFixed(2)} against the aggregator, above the policy's ${policy.epsilonPerRound} per round`);
  }
  return { ok: true, mode: 'local', z, centralZ: zc, q, recipe: read.recipe, epsilonUpload };
}

/**
 * A secure-aggregation round under the policy's `secagg` part (secagg-policy.ts). The local noise multiplier,
 * central noise and `minClients` of the round are not read: the device adds only its discrete-Gaussian share, and
 * the cohort that matters is the SecAgg one. Malformed input is refused at once; past that, every problem is listed.
 */
function checkSecAggRound(r: Record<string, unknown>, policy: PrivacyPolicy, cap: SecAggCapability): RoundRefused | SecAggRoundAccepted {
  const sp = policy.secagg;
  if (!sp) return refuse('secagg_not_pinned', 'the round runs secure aggregation and the page pins no secure-aggregation policy');
  const q = r.samplingProbability;
  if (!finite(q) || !(q > 0 && q <= 1)) return refuse('malformed_round', 'the round description lacks a readable sampling probability');
  if (!Number.isInteger(cap.updateDim) || cap.updateDim < 1) return refuse('malformed_round', `the device's update length ${cap.updateDim} is not a positive integer`);
  // The recipe decides which tensors the masked vector carries (the trained ones), so it is read first.
  const read = recipeCheck(r.local, sp.trainable);
  if ('code' in read) return refuse(read.code, read.reason);
  const layout = readLayout(r.layout);
  if (!layout || layout.size !== cap.updateDim) return refuse('malformed_round', `the round's layout is unreadable or not ${cap.updateDim} values long`);
  const tensors = trainedTensors(layout, read.recipe.frozen);
  const view = readSecAggRound(r.secagg, { tensors, dim: selectedSize(layout, tensors) });
  if (typeof view === 'string') return refuse('malformed_round', `the round's secure-aggregation description is unreadable: ${view}`);
  const problems: Refusal[] = [];
  const add = (code: RefusalCode, reason: string): void => { problems.push({ code, reason }); };
  const C = policy.clipBound, g = view.ddg;
  if (view.minCohort < sp.minCohort) add('secagg_cohort', `the round would sum as few as ${view.minCohort} device${view.minCohort === 1 ? '' : 's'}, below the policy's minimum cohort ${sp.minCohort}`);
  const need = requiredGraph(sp, Math.max(view.minCohort, sp.minCohort));
  if (typeof need === 'string') add('secagg_degree', need);
  else {
    if (view.k < need.k) add('secagg_degree', `the round's neighbour degree k = ${view.k} is below the ${need.k} the policy requires for its cohort`);
    if (view.t < need.t) add('secagg_threshold', `the round's threshold t = ${view.t} is below the ${need.t} the policy requires for its cohort`);
  }
  if (view.bits !== sp.bits) add('secagg_bits', `the round sums modulo 2^${view.bits}; the policy allows only 2^${sp.bits}`);
  if (g.clip !== C) add('clip_bound', `the round's clip bound ${g.clip} differs from the policy's ${C}`);
  const inflation = roundingInflation(C, g.gamma, view.d, g.beta);
  if (!(inflation <= sp.maxRoundingInflation)) {
    add('ddg_rounding', `at γ = ${g.gamma} and β = ${g.beta} the rounding inflates the sensitivity by ${(100 * inflation).toFixed(0)} %, above the policy's ${(100 * sp.maxRoundingInflation).toFixed(0)} %`);
  }
  let noise: DeviceDdgNoise | undefined;
  try { noise = deviceDdgNoise(view, sp, C, policy.delta); } catch { /* refused below */ }
  let epsilonUpload = Infinity;
  if (noise) {
    const wrap = wrapProbabilityBound({ n: view.maxCohort, clip: C, sigma: noise.sigma, dim: view.d }, g.gamma, view.bits);
    if (!(wrap <= sp.maxWrapProbability)) {
      add('ddg_wrap', `a sum of ${view.maxCohort} devices at γ = ${g.gamma}, 2^${view.bits} and the device's σ = ${noise.sigma.toPrecision(3)} wraps with probability up to ${wrap.toPrecision(2)}, above the policy's ${sp.maxWrapProbability}`);
    }
    epsilonUpload = ddgEpsilon(noise.accounting, policy.delta).epsilon;
  }
  if (!(epsilonUpload <= sp.epsilonPerRound)) {
    add('epsilon_per_round', noise
      ? `one upload at the device's σ = ${noise.sigma.toPrecision(3)} over ${noise.nHonest} honest devices costs ε ${epsilonUpload.toFixed(2)} against the aggregator, above the policy's ${sp.epsilonPerRound} per round`
      : `no noise share reaches the policy's ε ${sp.epsilonPerRound} per round at this grid`);
  }
  if (problems.length || !noise) return refuseAll(problems);
  return { ok: true, mode: 'secagg', q, recipe: read.recipe, epsilonUpload, secagg: view, noise };
}

/**
 * The cohort a version was really published from (the manifest's `hyperParameters.federated`, written by the
 * aggregator): a version made by a round from fewer updates than the policy's minimum is refused as a base to
 * train on, so an aggregator that announced a large cohort but ran a small one is caught at its next round.
 * A version not made by a round (the seed) passes. Null when acceptable, else the reason.
 */
export function publishedCohortProblem(hyperParameters: unknown, version: string, policy: PrivacyPolicy): string | null {
  const fed = (hyperParameters && typeof hyperParameters === 'object' ? (hyperParameters as Record<string, unknown>).federated : undefined) as Record<string, unknown> | undefined;
  if (!fed || typeof fed !== 'object' || fed.round === null || fed.round === undefined) return null;
  const n = fed.clients;
  return typeof n === 'number' && n >= policy.minCohort ? null
    : `version ${version} was published from ${typeof n === 'number' ? n : 'an unstated number of'} update${n === 1 ? '' : 's'}, below the policy's minimum cohort ${policy.minCohort}`;
}

const num = (v: unknown, lo: number, hi: number, dflt: number): number => (finite(v) ? Math.min(hi, Math.max(lo, v)) : dflt);

/**
 * A policy from the shop's configuration (untrusted shape: anything unreadable is the default, numbers are
 * bounded). The bounds only keep the figures meaningful (δ ≤ 10⁻⁶, z ≥ 0.1); the policy's own checks do the rest.
 * Secure aggregation is opt-in: without a `secagg` part (`readSecAggPolicy`) the device refuses such rounds.
 */
export function readPolicy(raw: unknown): PrivacyPolicy {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const get = (k: string): unknown => { try { return o[k]; } catch { return undefined; } };
  const d = DEFAULT_POLICY;
  const trainable = readTrainable(get('trainable'), d.trainable);
  return {
    minNoiseMultiplier: num(get('minNoiseMultiplier'), 0.1, 1000, d.minNoiseMultiplier),
    clipBound: num(get('clipBound'), 1e-6, 1e6, d.clipBound),
    minCohort: Math.round(num(get('minCohort'), 1, 1e9, d.minCohort)),
    epsilonPerRound: num(get('epsilonPerRound'), 0.01, 100, d.epsilonPerRound),
    epsilonBudget: num(get('epsilonBudget'), 0.01, 100, d.epsilonBudget),
    delta: num(get('delta'), 1e-15, 1e-6, d.delta),
    trainable,
    secagg: readSecAggPolicy(get('secagg')),
  };
}
