/**
 * The server's side of a round, in flow order: decode and clip each stored update (`decode.ts`), aggregate
 * (`aggregate/`: FedAvg or a robust rule), release (`aggregate/release.ts`: unit weights, a fixed denominator,
 * optional central noise), take the server optimiser's step (`server-optimizer.ts`). The aggregator and the
 * simulator both run exactly this.
 */
export * from './aggregate/index.js';
export { payloadSource, quantizedNorm, type StoredPayload } from './decode.js';
export * from './server-optimizer.js';
