/** TypeBox schemas of the model resource. */
import { Type, type Static } from '@sinclair/typebox';

export const FileParams = Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) });
export type FileParams = Static<typeof FileParams>;

export const VersionParams = Type.Object({ version: Type.Integer({ minimum: 1 }) });
export type VersionParams = Static<typeof VersionParams>;

/** A file path as listed in a manifest (same rule as the export loader: no way out of the folder). */
const FilePath = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 200 });
export const PathParams = Type.Object({ path: FilePath });
export type PathParams = Static<typeof PathParams>;
export const VersionPathParams = Type.Object({ version: Type.Integer({ minimum: 1 }), path: FilePath });
export type VersionPathParams = Static<typeof VersionPathParams>;
