import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.mjs';
import type { SecAggWrite, SecAggWriteResult } from './types.js';

export const SECAGG_KINDS: readonly ['devices', 'shares', 'masked', 'unmask'];
export const STAGE_OF: Record<SecAggWrite['kind'], string>;
export const SECAGG_SCHEMA: string;
export function secaggStatements(db: SqliteDatabase): {
  round: SqliteStatement;
  list: Record<SecAggWrite['kind'], SqliteStatement>;
  create: SqliteStatement;
  advance: SqliteStatement;
  finish: SqliteStatement;
  minimise: SqliteStatement;
  minimiseShares: SqliteStatement;
  minimiseUnmask: SqliteStatement;
  write(w: SecAggWrite): SecAggWriteResult;
};
