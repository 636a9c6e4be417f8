/** TypeBox schemas of the round resource: the schema is the validation, the serialiser and the TS type. */
import type { RoundDescription } from '@perch/learn/client';
import { Type, type Static } from '@sinclair/typebox';

export const RoundParams = Type.Object({ id: Type.Integer({ minimum: 0, maximum: 0xffffffff }) });
export type RoundParams = Static<typeof RoundParams>;

export const TensorSpec = Type.Object({ name: Type.String(), shape: Type.Array(Type.Integer()) });

const Iso = Type.String({ format: 'date-time' });
/** The secure-aggregation constants of a round (SecAggRoundDescription in @perch/learn/client; docs/secure-aggregation.md). */
export const SecAggInfo = Type.Object({
  protocol: Type.Literal('secagg+'),
  bits: Type.Integer({ description: 'sums live in Z_(2^bits); the masked vector travels packed at this many bits per value' }),
  d: Type.Integer({ description: 'masked vector length: the ddg rotation\'s padded length of ddg.dim' }),
  k: Type.Integer({ description: 'largest neighbour degree; the share-keys request carries the exact k' }),
  t: Type.Integer({ description: 'Shamir threshold' }),
  minCohort: Type.Integer(),
  maxCohort: Type.Integer(),
  graphSeed: Type.String({ description: 'round-public seed of the neighbour graph, base64url of 32 bytes' }),
  deadlines: Type.Object({ advertise: Iso, shareKeys: Iso, maskedInput: Iso, unmask: Iso }),
  longPollMs: Type.Integer(),
  ddg: Type.Object({
    tensors: Type.Array(Type.String(), { description: 'the tensors the masked vector carries, in layout order: those the recipe trains' }),
    dim: Type.Integer({ description: 'their total size' }), clip: Type.Number(), gamma: Type.Number(), sigma: Type.Number(), beta: Type.Number(), rotationSeed: Type.Integer() }),
  urls: Type.Object({ advertise: Type.String(), shareKeys: Type.String(), maskedInput: Type.String(), unmask: Type.String() }),
});

export const RoundInfo = Type.Object({
  roundId: Type.Integer(),
  status: Type.Union([Type.Literal('open'), Type.Literal('closing')]),
  baseVersion: Type.Integer({ description: 'model version uploads must be computed against' }),
  deadline: Type.String({ format: 'date-time', description: 'server clock' }),
  accepted: Type.Integer(),
  minClients: Type.Integer(),
  targetClients: Type.Integer(),
  clipBound: Type.Number({ description: 'L2 bound C clients clip their delta to' }),
  noiseMultiplier: Type.Number({ description: 'z: clients add N(0, (zC)^2) per coordinate' }),
  centralNoiseMultiplier: Type.Number({ description: 'z_c: the aggregator adds N(0, (z_c C w_max)^2) to the weighted sum at close (0 = off)' }),
  samplingProbability: Type.Number({ description: 'q: probability a device decides to take part' }),
  maxClientWeight: Type.Integer(),
  uploadNormBound: Type.Number({ description: 'uploads with a larger dequantised L2 norm are refused (422)' }),
  maxBytes: Type.Integer(),
  layout: Type.Object({ hash: Type.String(), size: Type.Integer(), tensors: Type.Array(TensorSpec) }),
  local: Type.Object({
    epochs: Type.Integer(), learningRate: Type.Number(), negatives: Type.Integer(), virtualBatch: Type.Integer(), dropout: Type.Number(),
    // Unsafe only narrows the static type to the client's `readonly string[]`; the JSON schema is the array's.
    frozen: Type.Unsafe<readonly string[]>(Type.Array(Type.String(), { description: 'shared dense tensors devices leave untrained (zero delta)' })),
  }, { description: 'the local training recipe devices run (LocalRecipe in @perch/learn/client)' }),
  uploadUrl: Type.String(),
  secagg: Type.Optional(SecAggInfo),
});
export type RoundInfo = Static<typeof RoundInfo>;

export const UploadAccepted = Type.Object({
  status: Type.Literal('accepted'),
  roundId: Type.Integer(),
  key: Type.String(),
});

// Compile-time check that the served JSON is exactly the client-side type in @perch/learn/client.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const roundInfoMatchesClientType: Same<RoundInfo, RoundDescription> = true;
// (a deliberate mismatch, e.g. dropping a field from either side, turns the line above into a type error)
