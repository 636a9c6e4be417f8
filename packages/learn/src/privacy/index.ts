/**
 * Privacy maths for federated learning: pure and isomorphic (no DOM, no Node globals), shared by the browser
 * client (SDK worker), the aggregator and the simulator.
 *
 * THREAT MODEL AND DP ASSUMPTIONS (full text: docs/threat-model.md)
 * - What leaves a device: only the delta of the shared dense weights the round trains (`SHARED_DENSE_WEIGHTS` in
 *   spec.ts, in the fixed layout order), clipped to L2 norm C, with Gaussian noise N(0, (zC)²) per coordinate,
 *   int8 stochastically quantised, with client weight 1 and a random idempotency key. Never item-embedding
 *   rows (which rows moved would name the items touched), item ids, events, timestamps or a client clock.
 *   The attribute transform `attr_tr` (spec v3) is one of those dense tensors: a single matrix applied to every
 *   item, all of whose entries move with any update, so it has no per-item row pattern; what it says about the
 *   items a shopper touched is bounded by the clip and the noise like every other coordinate.
 * - Unit of privacy: the device installation (user-level DP), not the single event; adjacency is replace-one.
 * - Trust: the aggregator is not trusted for privacy. The ε a device shows, budgets and stops on is its ε
 *   against the aggregator (`DeviceAccountant`): each upload is a Gaussian mechanism on its own, with no credit
 *   for sampling (the aggregator sees who uploaded), for central noise it announces (it could skip it) or for
 *   other devices' noise (they could be its sybils). `policy.ts` refuses rounds that would weaken the pinned
 *   policy. `PrivacyAccountant` (the amplified sampled Gaussian) serves the simulator's central-noise research
 *   setting only: its ε holds for observers of published models, and only if the aggregator adds the noise and
 *   keeps who took part secret.
 * - Not covered: participation itself, its timing and request metadata (IP address, user agent), a shop that
 *   serves other code, and integrity (poisoning) beyond the server's norm bound and robust rules.
 * - Secure-aggregation rounds (SecAgg+ with the distributed discrete Gaussian) are opt-in: `secagg-policy.ts`
 *   checks them against the policy's `secagg` part, the device adds its own σ_dev, and the accountant counts the
 *   ε of the noisy sum over the honest cohort the shop's policy assumes (an assumption the device cannot check:
 *   `epsilonAlone` is the figure without it).
 * - Server-side clipping to the announced bound protects the aggregate against malformed or malicious uploads
 *   (integrity, not privacy). Next: DP-FTRL (Kairouz et al. 2021, no sampling assumption); docs/threat-model.md,
 *   section 10.
 */
export { cryptoRng, gaussian, randomKeyHex, type Rng } from './rng.js';
export { computeRdpSampledGaussian, rdpToEpsilon, rdpToEpsilonClassic, DEFAULT_ORDERS, type EpsilonResult } from './rdp.js';
export { PrivacyAccountant, shouldParticipate, serverViewEpsilon, type AccountantOptions, type AccountantState } from './accountant.js';
export { DeviceAccountant, type DeviceAccountState, type DeviceAccountStateV2, type DeviceAccountStateV3 } from './device-accountant.js';
export {
  checkRound, publishedCohortProblem, readPolicy, trainedBy, DEFAULT_POLICY,
  type PrivacyPolicy, type RefusalCode, type Refusal, type RoundCheck, type RoundRefused, type SecAggRoundAccepted, type SecAggCapability,
} from './policy.js';
export {
  DEFAULT_SECAGG_POLICY, deviceDdgNoise, honestCohortOf, readSecAggPolicy, readSecAggRound, requiredGraph, roundingInflation,
  secaggDevicePolicy, securityTargets, type DeviceDdgNoise, type SecAggPolicy, type SecAggRoundView,
} from './secagg-policy.js';
