/** TypeBox schemas of the version log (`@perch/model/export/log.ts`): checkpoint and leaf pages. */
import type { Checkpoint as CheckpointDoc } from '@perch/model/export';
import { Type, type Static } from '@sinclair/typebox';

const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const Checkpoint = Type.Unsafe<CheckpointDoc>(Type.Object({
  format: Type.Literal('perch-log-checkpoint'),
  index: Type.Integer({ minimum: 0, description: 'index of the newest entry (log size − 1)' }),
  head: Hex64,
  signature: Type.Object({ alg: Type.Literal('Ed25519'), keyId: Type.String(), value: Type.String({ description: 'base64url' }) }),
}));

export const LeavesQuery = Type.Object({
  from: Type.Integer({ minimum: 0, description: 'first entry (inclusive)' }),
  to: Type.Integer({ minimum: 1, description: 'end (exclusive)' }),
});
export type LeavesQuery = Static<typeof LeavesQuery>;

export const Leaves = Type.Object({
  from: Type.Integer(),
  to: Type.Integer({ description: 'end of this page (exclusive): ≤ the asked end, at most MAX_LEAVES_PAGE after from' }),
  leaves: Type.Array(Hex64),
});
