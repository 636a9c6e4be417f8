/** TypeBox schemas of the model resource. */
import { Type, type Static } from '@sinclair/typebox';

export const FileParams = Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) });
export type FileParams = Static<typeof FileParams>;

export const VersionParams = Type.Object({ version: Type.Integer({ minimum: 1 }) });
export type VersionParams = Static<typeof VersionParams>;
