export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

export interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

export interface SqliteTransaction<F extends (...args: any[]) => unknown> {
  (...args: Parameters<F>): ReturnType<F>;
  deferred(...args: Parameters<F>): ReturnType<F>;
  immediate(...args: Parameters<F>): ReturnType<F>;
}

export interface SqliteDatabase {
  readonly open: boolean;
  exec(sql: string): this;
  pragma(source: string, o?: { simple?: boolean }): unknown;
  prepare(sql: string): SqliteStatement;
  transaction<F extends (...args: any[]) => unknown>(fn: F): SqliteTransaction<F>;
  close(): this;
}

export interface SqliteDriver { name: SqliteDriverName; open(path: string, o?: { readonly?: boolean }): SqliteDatabase }

export class SqliteDriverMissing extends Error {
  constructor(reasons: string[]);
}
export function pickDriver(load?: { nodeSqlite: () => { DatabaseSync: unknown } | undefined; betterSqlite3: () => unknown }): SqliteDriver;
export function sqliteDriverName(): SqliteDriverName;
export function openDatabase(path: string, o?: { readonly?: boolean }): SqliteDatabase;
