import { describe, expect, it } from 'vitest';
import { DEFAULT_RECIPE, DEFAULT_SECAGG_RECIPE } from '../client/recipe.js';
import { makeLayout, selectedSize, trainedTensors } from '../update/layout.js';
import { SHARED_DENSE_WEIGHTS, weightShapes } from '@perch/model/spec';
import { calibrateDdgSigma, ddgEpsilon, ddgRdp, honestCohort, type DdgAccountingParams } from '../ddg/accountant.js';
import { ddgScaleFixedPoint } from '../ddg/scale.js';
import { rotationLayout } from '../ddg/rotation.js';
import { toB64 } from '../secagg/bytes.js';
import { chooseParams } from '../secagg/params.js';
import { DeviceAccountant } from './device-accountant.js';
import { checkRound, DEFAULT_POLICY, readPolicy, type PrivacyPolicy, type RefusalCode } from './policy.js';
import { computeRdpSampledGaussian, DEFAULT_ORDERS, rdpToEpsilon } from './rdp.js';
import {
  DEFAULT_SECAGG_POLICY, deviceDdgNoise, readSecAggPolicy, readSecAggRound, roundingInflation, secaggDevicePolicy, type SecAggRoundView,
} from './secagg-policy.js';

// The Beauty model's dense layout; a secure-aggregation round's vector carries the tensors its recipe trains.
const LAYOUT = makeLayout(weightShapes({ dim: 64, hidden: 64, numItems: 100, numAttrs: 20, numCategories: 220 }), SHARED_DENSE_WEIGHTS);
const TENSORS = trainedTensors(LAYOUT, DEFAULT_SECAGG_RECIPE.frozen);
const DIM = selectedSize(LAYOUT, TENSORS), PADDED = rotationLayout(DIM).padded, BETA = Math.exp(-0.5), MAX_COHORT = 1000;
const policy: PrivacyPolicy = { ...DEFAULT_POLICY, secagg: { ...DEFAULT_SECAGG_POLICY } };
const cap = { updateDim: LAYOUT.size };
const N_HONEST = honestCohort(100, 0.3, 0.05);
const BITS = DEFAULT_SECAGG_POLICY.bits;

/** γ and σ as an honest aggregator picks them for the default policy: σ at ε 3 per round, γ for 1,000 devices at wrap ≤ 10⁻⁶. */
function honestScale(): { gamma: number; sigma: number } {
  return ddgScaleFixedPoint({ clip: 1, dim: PADDED, bits: BITS, maxCohort: MAX_COHORT },
    (gamma) => calibrateDdgSigma({ epsilon: 3, delta: 1e-10, rounds: 1 }, { clip: 1, gamma, beta: BETA, dim: PADDED, nHonest: N_HONEST }));
}
const SCALE = honestScale();
const GRAPH = chooseParams(500);

type Over = Record<string, unknown> & { ddg?: Record<string, unknown> };
/** A round as the aggregator announces it (the fields the device reads, plus some it does not). */
const round = (over: Over = {}, top: Record<string, unknown> = {}): Record<string, unknown> => {
  const { ddg, ...rest } = over;
  return {
    noiseMultiplier: 0, centralNoiseMultiplier: 0, clipBound: 1, minClients: 100, samplingProbability: 0.1,
    local: { ...DEFAULT_SECAGG_RECIPE, frozen: [...DEFAULT_SECAGG_RECIPE.frozen] },
    layout: { hash: LAYOUT.hash, size: LAYOUT.size, tensors: LAYOUT.tensors },
    secagg: {
      protocol: 'secagg+', bits: BITS, d: PADDED, k: GRAPH.k, t: GRAPH.t, minCohort: 100, maxCohort: MAX_COHORT,
      graphSeed: toB64(new Uint8Array(32).fill(7)), longPollMs: 20_000, urls: { advertise: '/a' },
      ...rest,
      ddg: { tensors: TENSORS, dim: DIM, clip: 1, gamma: SCALE.gamma, sigma: SCALE.sigma, beta: BETA, rotationSeed: 12345, ...ddg },
    },
    ...top,
  };
};
const codes = (r: ReturnType<typeof checkRound>): RefusalCode[] => (r.ok ? [] : r.problems.map((p) => p.code));

describe('checkRound for a secure-aggregation round', () => {
  it('accepts an honest round and adds its own σ_dev = calibrateDdgSigma over the pinned honest cohort', () => {
    const r = checkRound(round(), policy, cap);
    expect(r).toMatchObject({ ok: true, mode: 'secagg', q: 0.1, recipe: DEFAULT_SECAGG_RECIPE });
    if (!r.ok || r.mode !== 'secagg') throw new Error('refused');
    const own = calibrateDdgSigma({ epsilon: 3, delta: 1e-10, rounds: 1 }, { clip: 1, gamma: SCALE.gamma, beta: BETA, dim: PADDED, nHonest: 65 });
    expect(r.noise.nHonest).toBe(65);
    expect(r.noise.sigma).toBe(own);
    expect(r.noise.accounting).toEqual({ clip: 1, gamma: SCALE.gamma, beta: BETA, dim: PADDED, nHonest: 65, sigma: own });
    expect(r.noise.encode).toEqual({ dim: DIM, clip: 1, gamma: SCALE.gamma, bits: BITS, sigma: own, seed: 12345, beta: BETA });
    expect(r.epsilonUpload).toBe(ddgEpsilon(r.noise.accounting, 1e-10).epsilon);
    expect(r.epsilonUpload).toBeLessThanOrEqual(3);
    expect(r.secagg).toMatchObject({ protocol: 'secagg+', bits: BITS, d: PADDED, minCohort: 100, maxCohort: MAX_COHORT });
  });

  it('σ_dev does not move with the σ or the cohort the server announces', () => {
    const sigmaOf = (over: Over): number => {
      const r = checkRound(round(over), policy, cap);
      if (!r.ok || r.mode !== 'secagg') throw new Error(r.ok ? 'local' : r.reason);
      return r.noise.sigma;
    };
    const base = sigmaOf({});
    expect(sigmaOf({ ddg: { sigma: 0 } })).toBe(base);
    expect(sigmaOf({ ddg: { sigma: 1e6 } })).toBe(base);
    expect(sigmaOf({ minCohort: 400, maxCohort: 800 })).toBe(base);
    // A cohort announced below the policy's is refused, and even then σ_dev and its n_honest are the policy's.
    const low = readSecAggRound((round({ minCohort: 5, maxCohort: 5, ddg: { sigma: 1e9 } }).secagg), { tensors: TENSORS, dim: DIM }) as SecAggRoundView;
    expect(deviceDdgNoise(low, policy.secagg!, 1, 1e-10)).toMatchObject({ sigma: base, nHonest: 65 });
  });

  const refused: Array<[string, Over, RefusalCode | RefusalCode[], RegExp]> = [
    ['a minimum cohort below the pinned one', { minCohort: 50 }, 'secagg_cohort', /as few as 50 devices, below the policy's minimum cohort 100/],
    ['a degree below what the cohort requires', { k: 40 }, 'secagg_degree', /k = 40 is below the 92/],
    ['a threshold below what the cohort requires', { t: 5 }, 'secagg_threshold', /t = 5 is below the 28/],
    ['another modulus', { bits: BITS + 1 }, 'secagg_bits', new RegExp(`2\\^${BITS + 1}; the policy allows only 2\\^${BITS}`)],
    ['another clip bound', { ddg: { clip: 2 } }, 'clip_bound', /clip bound 2 differs/],
    ['a grid so coarse that the rounding dominates the sensitivity', { ddg: { gamma: 0.05 } }, 'ddg_rounding', /inflates the sensitivity/],
    ['a grid so fine that the sum wraps', { ddg: { gamma: SCALE.gamma / 2 } }, 'ddg_wrap', /wraps with probability/],
    ['a largest cohort the modulus cannot hold', { maxCohort: 50_000 }, 'ddg_wrap', /50000 devices/],
  ];
  it('pays for rounding that never re-draws (β = 0) with more noise, accounted at the inflated sensitivity', () => {
    // β = 0 inflates Δ₂ (KLS21's bound); at this grid it stays within the policy's rounding and wrap limits, and the
    // device's σ_dev grows with it so that the upload still costs at most the policy's ε.
    const plain = checkRound(round(), policy, cap), never = checkRound(round({ ddg: { beta: 0 } }), policy, cap);
    if (!plain.ok || plain.mode !== 'secagg' || !never.ok || never.mode !== 'secagg') throw new Error('refused');
    expect(roundingInflation(1, SCALE.gamma, PADDED, 0)).toBeGreaterThan(roundingInflation(1, SCALE.gamma, PADDED, BETA));
    expect(never.noise.sigma).toBeGreaterThan(plain.noise.sigma);
    expect(never.noise.accounting.beta).toBe(0);
    expect(never.epsilonUpload).toBeLessThanOrEqual(3);
  });

  for (const [what, over, code, reason] of refused) {
    it(`refuses ${what} (${String(code)})`, () => {
      const r = checkRound(round(over), policy, cap);
      expect(codes(r)).toEqual(Array.isArray(code) ? code : [code]);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }

  it('refuses an upload above the per-round ε (epsilon_per_round) when no share can reach the target', () => {
    const strict: PrivacyPolicy = { ...policy, secagg: { ...DEFAULT_SECAGG_POLICY, epsilonPerRound: 1e-9 } };
    const r = checkRound(round(), strict, cap);
    expect(codes(r)).toEqual(['epsilon_per_round']);
  });

  it('refuses a recipe the policy does not allow, as for local rounds', () => {
    expect(codes(checkRound(round({}, { local: { ...DEFAULT_RECIPE, frozen: [] } }), policy, cap))).toEqual(['trainable']);
    // The local policy's trainable set does not carry over: a secure-aggregation round trains the secagg part's.
    expect(codes(checkRound(round({}, { local: DEFAULT_RECIPE }), policy, cap))).toEqual(['trainable']);
    expect(codes(checkRound(round({}, { local: { ...DEFAULT_SECAGG_RECIPE, extra: 1 } }), policy, cap))).toEqual(['unknown_recipe']);
  });

  const malformed: Array<[string, Record<string, unknown>]> = [
    ['not an object', { secagg: 'on' }],
    ['another protocol', round({ protocol: 'secagg' })],
    ['bits out of range', round({ bits: 1 })],
    ['t above k', round({ t: GRAPH.k + 2 })],
    ['maxCohort below minCohort', round({ maxCohort: 99 })],
    ['a short graph seed', round({ graphSeed: 'AAAA' })],
    ['a dimension other than the trained tensors\' size', round({ ddg: { dim: DIM + 1 } })],
    ['no tensor list', round({ ddg: { tensors: undefined } })],
    ['a tensor list other than the recipe\'s trained tensors', round({ ddg: { tensors: ['attr_tr'] } })],
    ['the trained tensors out of layout order', round({ ddg: { tensors: [...TENSORS].reverse() } })],
    ['a layout of another size than the device\'s', round({}, { layout: { ...LAYOUT, size: LAYOUT.size + 1 } })],
    ['no layout', round({}, { layout: undefined })],
    ['a masked length that is not the padded dimension', round({ d: DIM })],
    ['a negative σ', round({ ddg: { sigma: -1 } })],
    ['β = 1', round({ ddg: { beta: 1 } })],
    ['γ = 0', round({ ddg: { gamma: 0 } })],
    ['a rotation seed above uint32', round({ ddg: { rotationSeed: 2 ** 32 } })],
    ['no sampling probability', round({}, { samplingProbability: undefined })],
  ];
  for (const [what, r] of malformed) {
    it(`refuses malformed input: ${what}`, () => expect(codes(checkRound(r, policy, cap))).toEqual(['malformed_round']));
  }
  it('refuses a ddg part that is missing altogether as malformed', () => {
    const r = round();
    delete (r.secagg as Record<string, unknown>).ddg;
    expect(codes(checkRound(r, policy, cap))).toEqual(['malformed_round']);
  });

  it('refuses a secure-aggregation round when the client cannot run one, or the page pins no secagg policy', () => {
    expect(codes(checkRound(round(), policy))).toEqual(['secagg_unsupported']);
    expect(codes(checkRound(round(), DEFAULT_POLICY, cap))).toEqual(['secagg_not_pinned']);
  });

  it('a round asking for less local noise without secagg stays refused as before', () => {
    const local = { ...round(), secagg: null, noiseMultiplier: 1, local: DEFAULT_RECIPE };
    expect(codes(checkRound(local, policy, cap))).toEqual(['noise_below_floor']);
    expect(codes(checkRound({ ...local, secagg: undefined }, policy))).toEqual(['noise_below_floor']);
    expect(checkRound({ ...local, noiseMultiplier: 5, minClients: 10 }, policy, cap)).toMatchObject({ ok: true, mode: 'local', z: 5 });
  });

  it('refuses a hostile round (cohort 1, a huge σ claimed, k = 1, 32 bits) with every code that applies', () => {
    const r = checkRound(round({ minCohort: 1, k: 1, t: 1, bits: 32, ddg: { sigma: 1e9 } }), policy, cap);
    expect(r.ok).toBe(false);
    expect(codes(r)).toEqual(['secagg_cohort', 'secagg_degree', 'secagg_threshold', 'secagg_bits']);
    if (!r.ok) expect(r.code).toBe('secagg_cohort');
  });
});

describe('the secagg part of the policy', () => {
  it('is opt-in: absent, null or false pins none; {} or true pins the defaults', () => {
    expect(readPolicy(undefined).secagg).toBeNull();
    expect(readPolicy({ secagg: false }).secagg).toBeNull();
    expect(readPolicy({ secagg: {} }).secagg).toEqual(DEFAULT_SECAGG_POLICY);
    expect(readPolicy({ secagg: true }).secagg).toEqual(DEFAULT_SECAGG_POLICY);
  });

  it('bounds what the shop sets, and refuses to exist when no honest device is left', () => {
    const p = readSecAggPolicy({ minCohort: 2, bits: 40, epsilonPerRound: 1e6, minDegree: 40, minThreshold: 12, dropoutFraction: 'x' });
    expect(p).toMatchObject({ minCohort: 3, bits: BITS, epsilonPerRound: 100, minDegree: 40, minThreshold: 12, dropoutFraction: 0.3 });
    expect(readSecAggPolicy({ minDegree: 40 })).not.toHaveProperty('minDegree'); // both or neither
    expect(readSecAggPolicy({ dropoutFraction: 0.6, colludingFraction: 0.4 })).toBeNull();
    expect(readSecAggPolicy({ minCohort: 3, dropoutFraction: 0.5, colludingFraction: 0.3 })).toBeNull();
  });

  it('gives the SecAgg+ device the same cohort and k, t minima', () => {
    expect(secaggDevicePolicy(DEFAULT_SECAGG_POLICY)).toEqual({ minCohort: 100, targets: { gamma: 0.05, delta: 0.3, sigma: 40, eta: 30 } });
    expect(secaggDevicePolicy({ ...DEFAULT_SECAGG_POLICY, minDegree: 40, minThreshold: 12 })).toEqual({ minCohort: 100, minDegree: 40, minThreshold: 12 });
  });

  it('pinned k and t replace chooseParams', () => {
    const pinned: PrivacyPolicy = { ...policy, secagg: { ...DEFAULT_SECAGG_POLICY, minDegree: 120, minThreshold: 40 } };
    expect(codes(checkRound(round(), pinned, cap))).toEqual(['secagg_degree', 'secagg_threshold']);
  });

  it('measures the rounding inflation as Δ₂/(C/γ) − 1', () => {
    expect(roundingInflation(1, 1e-6, PADDED, BETA)).toBeLessThan(1e-3);
    expect(roundingInflation(1, SCALE.gamma, PADDED, BETA)).toBeLessThan(DEFAULT_SECAGG_POLICY.maxRoundingInflation);
  });
});

describe('DeviceAccountant with secure-aggregation uploads', () => {
  const limits = { epsilonBudget: 8, delta: 1e-10 };
  const acc: DdgAccountingParams = { clip: 1, gamma: SCALE.gamma, beta: BETA, dim: PADDED, sigma: SCALE.sigma, nHonest: N_HONEST };

  it('k uploads cost ddgRdp × k at its orders: ε = ddgEpsilon up to the integer orders', () => {
    for (const k of [1, 2, 5]) {
      const a = new DeviceAccountant({ epsilonBudget: 1e9, delta: 1e-10 });
      for (let i = 0; i < k; i++) a.recordDdgUpload(acc);
      const rdp = ddgRdp(acc, DEFAULT_ORDERS).map((r) => k * r);
      expect(a.epsilonServer()).toBe(rdpToEpsilon(DEFAULT_ORDERS, rdp, 1e-10).epsilon);
      const real = ddgEpsilon(acc, 1e-10, k).epsilon;
      expect(a.epsilonServer()).toBeGreaterThanOrEqual(real * (1 - 1e-9));
      expect(a.epsilonServer()).toBeLessThan(real * 1.01);
      expect(a.epsilonPublished()).toBe(a.epsilonServer()); // the noisy sum is what is published
      expect([a.uploads, a.ddgUploads]).toEqual([k, k]);
    }
  });

  it('composes with local-noise uploads by adding RDP', () => {
    const a = new DeviceAccountant(limits);
    a.recordUpload(5, 12);
    a.recordDdgUpload(acc);
    const local = computeRdpSampledGaussian(1, 2.5), ddg = ddgRdp(acc, DEFAULT_ORDERS);
    expect(a.epsilonServer()).toBe(rdpToEpsilon(DEFAULT_ORDERS, local.map((r, i) => r + ddg[i]!), 1e-10).epsilon);
    const published = computeRdpSampledGaussian(1, Math.hypot(5, 12) / 2);
    expect(a.epsilonPublished()).toBe(rdpToEpsilon(DEFAULT_ORDERS, published.map((r, i) => r + ddg[i]!), 1e-10).epsilon);
    expect([a.uploads, a.ddgUploads]).toEqual([2, 1]);
  });

  it('states what the device can guarantee without the honest cohort (its own share only)', () => {
    const a = new DeviceAccountant(limits);
    a.recordUpload(5, 0);
    expect(a.epsilonAlone()).toBe(a.epsilonServer());
    a.recordDdgUpload(acc);
    const alone = computeRdpSampledGaussian(1, 2.5).map((r, i) => r + ddgRdp({ ...acc, nHonest: 1 }, DEFAULT_ORDERS)[i]!);
    expect(a.epsilonAlone()).toBe(rdpToEpsilon(DEFAULT_ORDERS, alone, 1e-10).epsilon);
    expect(a.epsilonAlone()).toBeGreaterThan(a.epsilonServer());
  });

  it('stops at the budget', () => {
    const a = new DeviceAccountant(limits);
    let n = 0;
    while (a.canUploadDdg(acc)) { a.recordDdgUpload(acc); n++; }
    expect(n).toBeGreaterThan(1);
    expect(a.epsilonServer()).toBeLessThanOrEqual(8);
    expect(a.projectedServerDdg(acc)).toBeGreaterThan(8);
    const mixed = new DeviceAccountant(limits);
    mixed.recordUpload(5, 0);
    let m = 0;
    while (mixed.canUploadDdg(acc)) { mixed.recordDdgUpload(acc); m++; }
    expect(m).toBeLessThan(n); // the local upload already spent part of it
  });

  it('persists as version 3 once a secure-aggregation upload is recorded, and round-trips', () => {
    const a = new DeviceAccountant(limits);
    a.recordUpload(6, 0);
    expect(a.toJSON().version).toBe(2); // local uploads only: an older client still reads it
    a.recordDdgUpload(acc);
    const st = a.toJSON();
    expect(st).toMatchObject({ version: 3, uploads: 2, ddgUploads: 1 });
    for (const copy of [structuredClone(st), JSON.parse(JSON.stringify(st)) as unknown]) {
      const b = new DeviceAccountant(limits, copy);
      expect([b.epsilonServer(), b.epsilonPublished(), b.epsilonAlone(), b.uploads, b.ddgUploads])
        .toEqual([a.epsilonServer(), a.epsilonPublished(), a.epsilonAlone(), 2, 1]);
      expect(b.toJSON()).toEqual(st);
    }
    const broken = { ...st, alone: (st as { alone: number[] }).alone.map((v, i) => (i === 2 ? 'x' : v)) };
    expect(new DeviceAccountant(limits, broken).epsilonAlone()).toBe(Infinity);
  });

  it('reads a version-2 state as before, and counts a state of a later version as spent', () => {
    const v2 = { version: 2, orders: [...DEFAULT_ORDERS], server: computeRdpSampledGaussian(1, 2.5), published: computeRdpSampledGaussian(1, 2.5), uploads: 1, budget: 8, delta: 1e-10 };
    const a = new DeviceAccountant(limits, v2);
    expect(a.epsilonServer()).toBe(rdpToEpsilon(DEFAULT_ORDERS, v2.server, 1e-10).epsilon);
    expect([a.uploads, a.ddgUploads, a.epsilonAlone()]).toEqual([1, 0, a.epsilonServer()]);
    expect(a.toJSON()).toEqual(v2);
    const later = new DeviceAccountant(limits, { ...v2, version: 4 });
    expect(later.canUpload(100)).toBe(false);
    expect(later.canUploadDdg(acc)).toBe(false);
  });
});
