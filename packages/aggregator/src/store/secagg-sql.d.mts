import type Database from 'better-sqlite3';
import type { SecAggWrite, SecAggWriteResult } from './types.js';

export const SECAGG_KINDS: readonly ['devices', 'shares', 'masked', 'unmask'];
export const STAGE_OF: Record<SecAggWrite['kind'], string>;
export const SECAGG_SCHEMA: string;
export function secaggStatements(db: Database.Database): {
  round: Database.Statement;
  list: Record<SecAggWrite['kind'], Database.Statement>;
  create: Database.Statement;
  advance: Database.Statement;
  finish: Database.Statement;
  minimise: Database.Statement;
  minimiseShares: Database.Statement;
  minimiseUnmask: Database.Statement;
  write(w: SecAggWrite): SecAggWriteResult;
};
