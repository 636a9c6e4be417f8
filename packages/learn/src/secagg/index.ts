/**
 * Secure aggregation (SecAgg+, Bell et al. CCS 2020, on Bonawitz et al. CCS 2017): the aggregator learns only the
 * sum of the devices' vectors in Z_(2^bits). Transport-agnostic: `SecAggDevice` (the SDK worker's side) and
 * `SecAggServer` (the aggregator's side) are state machines over the plain-JSON messages of `messages.ts`, each
 * serialisable after every step. Design, parameters and threat model: README.md beside this file.
 */
export { SecAggDevice, type DevicePolicy, type DeviceState } from './device.js';
export { requestOf, SecAggServer, type ServerOptions, type ServerState, type SecAggResult, type Accepted, type RequestStep, type StepRequest } from './server.js';
export { chooseParams, graphForCohort, log2BinomialTail, maxCohortFor, DEFAULT_TARGETS, MAX_DEGREE, MIN_THRESHOLD, type SecurityTargets, type GraphParams } from './params.js';
export { deriveGraph, ringOrder, harary } from './graph.js';
export { encodeVector, decodeVector, packVector, unpackVector, packedBytes, toB64, fromB64, bytesEqual } from './bytes.js';
export { hasWebCryptoX25519, webCryptoBackend, generateKeyPair, publicKeyOf, type SecAggBackend } from './crypto.js';
/** For a server that checks shares before unmasking (the aggregator's robust reconstruction). */
export { commitB } from './masking.js';
export { reconstructSecret } from './shamir.js';
export {
  checkShape, ENVELOPE_BYTES, KEY_BYTES, COMMIT_BYTES, STEPS,
  type Step, type Reason, type Rejection, type Outcome, type RoundConfig, type PublicKeys,
  type AdvertiseKeysRequest, type AdvertiseKeys, type ShareKeysRequest, type ShareKeys,
  type MaskedInputRequest, type MaskedInput, type UnmaskRequest, type Unmask, type DeviceReply,
} from './messages.js';
export {
  encodeRequest, decodeRequest, readRequest, encodeReply, decodeReply, readReply, WIRE_VERSION, SECAGG_CONTENT_TYPE, SECAGG_TOKEN_HEADER,
  type WireContext, type WireRequest, type WireReply,
} from './wire.js';
