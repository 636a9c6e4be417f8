/**
 * Privacy maths for federated learning: pure and isomorphic (no DOM, no Node globals), shared by the browser
 * client (SDK worker), the aggregator and the simulator.
 *
 * THREAT MODEL AND DP ASSUMPTIONS (full text: docs/threat-model.md)
 * - What leaves a device: only the delta of the shared dense weights (`SHARED_DENSE_WEIGHTS` in spec.ts, in
 *   the fixed layout order), clipped to L2 norm C, with Gaussian noise N(0, (zC)²) per coordinate, int8
 *   stochastically quantised, plus a capped example count and a random idempotency key. Never item-embedding
 *   rows (which rows moved would name the items touched), item ids, events, timestamps or a client clock.
 *   The attribute transform `attr_tr` (spec v3) is one of those dense tensors: a single matrix applied to every
 *   item, all of whose entries move with any update, so it has no per-item row pattern; what it says about the
 *   items a shopper touched is bounded by the clip and the noise like every other coordinate.
 * - Unit of privacy: the device (user-level DP), not the single event. The accountant composes one sampled
 *   Gaussian mechanism (q, z) per participation, with Poisson sampling by the device's private coin flip.
 * - Trust: the server is honest-but-curious; it follows the protocol but may look at everything it receives.
 *   Sampling amplification does NOT hold against it (it sees who uploaded): against the server each upload is
 *   a local Gaussian mechanism without amplification (`serverViewEpsilon`). The stated ε
 *   (with amplification) holds against everyone who only sees published models: other shoppers, the shop's
 *   other services, anyone downloading the model. Network observers see TLS-protected sizes and timing only.
 * - Not covered: sybil devices (many fake clients to isolate one), timing and size side channels, metadata
 *   such as IP address, user agent and participation itself, the capped example count, a malicious server
 *   that changes the code it ships, and collusion of the server with the model publisher.
 * - Server-side clipping to the announced bound and optional central noise (DP-FedAvg, McMahan et al. 2018)
 *   protect the aggregate against malformed or malicious uploads; DP-FTRL (Kairouz et al. 2021, no sampling
 *   assumption) is the natural next step when device sampling cannot be trusted.
 */
export { cryptoRng, gaussian, randomKeyHex, type Rng } from './rng.js';
export { computeRdpSampledGaussian, rdpToEpsilon, rdpToEpsilonClassic, DEFAULT_ORDERS, type EpsilonResult } from './rdp.js';
export { PrivacyAccountant, shouldParticipate, serverViewEpsilon, type AccountantOptions, type AccountantState } from './accountant.js';
export { DeviceAccountant, type DeviceAccountState } from './device-accountant.js';
export { checkRound, publishedCohortProblem, readPolicy, trainedBy, DEFAULT_POLICY, type PrivacyPolicy, type RefusalCode, type RoundCheck } from './policy.js';
