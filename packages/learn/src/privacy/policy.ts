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
 */
import { DEFAULT_RECIPE, recipeProblems, type LocalRecipe } from '../client/recipe.js';
import { SHARED_DENSE_WEIGHTS } from '@perch/model/spec';
import { serverViewEpsilon } from './accountant.js';

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
}

/** The tensors the default recipe trains: every shared dense tensor but the ones it freezes. */
export const trainedBy = (r: Pick<LocalRecipe, 'frozen'>): string[] => SHARED_DENSE_WEIGHTS.filter((n) => !r.frozen.includes(n));

/**
 * Defaults: ε 8 in total against the aggregator at δ 10⁻¹⁰ (below 1/(100·N) for shops of up to 10⁸ devices), at
 * most 3 per upload, device noise z ≥ 5, C = 1 (what these allow: docs/privacy.md). The cohort minimum does not
 * change ε under local noise (the device counts no other device's noise); it keeps a round from publishing what
 * one or a few devices sent.
 */
export const DEFAULT_POLICY: Readonly<PrivacyPolicy> = {
  minNoiseMultiplier: 5, clipBound: 1, minCohort: 10, epsilonPerRound: 3, epsilonBudget: 8, delta: 1e-10,
  trainable: trainedBy(DEFAULT_RECIPE),
};

export type RefusalCode =
  | 'malformed_round' | 'noise_below_floor' | 'central_noise_on_trust' | 'clip_bound' | 'cohort'
  | 'trainable' | 'unknown_recipe' | 'epsilon_per_round' | 'cohort_run';

export type RoundCheck =
  | { ok: true; z: number; centralZ: number; q: number; recipe: LocalRecipe; epsilonUpload: number }
  | { ok: false; code: RefusalCode; reason: string };

const RECIPE_FIELDS = ['epochs', 'learningRate', 'negatives', 'virtualBatch', 'dropout', 'frozen'] as const;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const refuse = (code: RefusalCode, reason: string): RoundCheck => ({ ok: false, code, reason });

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

/**
 * Whether the device may take part in `round` (an untrusted round description) under `policy`; on success the
 * noise it adds (the round's z), the announced central z (never counted against the aggregator) and the recipe.
 */
export function checkRound(round: unknown, policy: PrivacyPolicy): RoundCheck {
  const r = (round && typeof round === 'object' ? round : {}) as Record<string, unknown>;
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
  const read = strictRecipe(r.local);
  if ('problem' in read) return refuse('unknown_recipe', `the round's training recipe is not one the device knows: ${read.problem}`);
  const trained = trainedBy(read.recipe);
  const pinned = new Set(policy.trainable);
  if (trained.length !== pinned.size || trained.some((n) => !pinned.has(n))) {
    return refuse('trainable', `the round trains ${trained.join(', ') || 'nothing'}; the policy allows exactly ${[...pinned].join(', ')}`);
  }
  const epsilonUpload = serverViewEpsilon(1, z, policy.delta).epsilon;
  if (!(epsilonUpload <= policy.epsilonPerRound)) {
    return refuse('epsilon_per_round', `one upload at z = ${z} costs ε ${epsilonUpload.toFixed(2)} against the aggregator, above the policy's ${policy.epsilonPerRound} per round`);
  }
  return { ok: true, z, centralZ: zc, q, recipe: read.recipe, epsilonUpload };
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
 */
export function readPolicy(raw: unknown): PrivacyPolicy {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const get = (k: string): unknown => { try { return o[k]; } catch { return undefined; } };
  const d = DEFAULT_POLICY;
  const t = get('trainable');
  const trainable = Array.isArray(t) && t.length > 0 && t.every((n) => (SHARED_DENSE_WEIGHTS as readonly unknown[]).includes(n)) ? [...new Set(t as string[])] : [...d.trainable];
  return {
    minNoiseMultiplier: num(get('minNoiseMultiplier'), 0.1, 1000, d.minNoiseMultiplier),
    clipBound: num(get('clipBound'), 1e-6, 1e6, d.clipBound),
    minCohort: Math.round(num(get('minCohort'), 1, 1e9, d.minCohort)),
    epsilonPerRound: num(get('epsilonPerRound'), 0.01, 100, d.epsilonPerRound),
    epsilonBudget: num(get('epsilonBudget'), 0.01, 100, d.epsilonBudget),
    delta: num(get('delta'), 1e-15, 1e-6, d.delta),
    trainable,
  };
}
