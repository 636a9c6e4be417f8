// The SQLite driver under the aggregator's store, for the event-loop connection (sqlite.ts) and the worker
// threads (sqlite-writer.mjs, sqlite-checkpointer.mjs) alike; plain JavaScript so the threads load it under any
// loader. It is node:sqlite where the runtime has it built in (Node.js 22.13+, 23.4+, 24), else better-sqlite3
// (an optional dependency: Node.js 20). Both are synchronous and open their own connection per thread.
//
// What the store may use is the subset of better-sqlite3's API below, with the same behaviour on both drivers:
//   openDatabase(path, { readonly }) → db; db.exec(sql); db.pragma('name = value') → rows (`{ simple: true }`:
//   the first value); db.prepare(sql).run/get/all/iterate(...params) with positional `?` parameters as
//   arguments, or named ones as one object; run() → { changes, lastInsertRowid } (numbers);
//   db.transaction(fn) → a function running fn in BEGIN … COMMIT (ROLLBACK if fn throws), `.immediate` in
//   BEGIN IMMEDIATE; db.open; db.close().
// Values read: INTEGER and REAL as numbers, TEXT as strings, NULL as null, BLOB as a Buffer (node:sqlite reads
// a Uint8Array; it is wrapped, not copied). New connections start with better-sqlite3's defaults where
// node:sqlite's differ: a 5 s busy timeout and a 16 MB page cache. Journal mode and `synchronous` are the
// store's to set, on every connection that writes (WAL, FULL).
import { createRequire } from 'node:module';

/** Neither driver loads: the message says what to do, and the aggregator prints it instead of a stack. */
export class SqliteDriverMissing extends Error {
  constructor(reasons) {
    super(`The aggregator stores its data in SQLite and found no driver for it (${reasons.join('; ')}). `
      + 'Run it on Node.js 22.13 or later (23.4+, 24), where node:sqlite is built in; or, on Node.js 20, install '
      + 'better-sqlite3 (an optional dependency: `pnpm install` fetches its prebuilt binary from GitHub or compiles it '
      + 'with Python and a C++ toolchain; `pnpm rebuild better-sqlite3` after changing Node.js versions).');
    this.name = 'SqliteDriverMissing';
  }
}

const EXPERIMENTAL = /^SQLite is an experimental feature/;

/** node:sqlite, or undefined where this Node has none. The ExperimentalWarning some versions print is dropped; no other. */
function loadNodeSqlite() {
  const emit = process.emitWarning;
  process.emitWarning = function (warning, ...rest) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0]?.type ?? warning?.name);
    if (type === 'ExperimentalWarning' && EXPERIMENTAL.test(String(warning?.message ?? warning))) return;
    return emit.call(this, warning, ...rest);
  };
  try {
    return process.getBuiltinModule?.('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
}

function loadBetterSqlite3() {
  const Database = createRequire(import.meta.url)('better-sqlite3');
  // Its native binary is loaded by the first open: a missing one, or one built for another Node, fails here.
  new Database(':memory:').close();
  return Database;
}

/** An error as one short clause (`bindings` appends every path it tried to its message; they are left out). */
function oneLine(e) {
  const s = String(e?.message ?? e).replace(/\s+/g, ' ').replace(/ Tried: .*$/, '').trim().replace(/\.$/, '');
  return s.length > 300 ? `${s.slice(0, 299)}…` : s;
}

/**
 * The first driver that loads: node:sqlite, then better-sqlite3. `load` replaces the loaders (tests).
 * @returns {{ name: 'node:sqlite' | 'better-sqlite3', open: (path: string, o?: { readonly?: boolean }) => object }}
 */
export function pickDriver(load = { nodeSqlite: loadNodeSqlite, betterSqlite3: loadBetterSqlite3 }) {
  const reasons = [];
  try {
    const sqlite = load.nodeSqlite();
    if (sqlite) return { name: 'node:sqlite', open: (path, o) => new NodeSqliteDatabase(sqlite.DatabaseSync, path, o) };
    reasons.push(`node:sqlite is not available in Node.js ${process.versions.node}`);
  } catch (e) {
    reasons.push(`node:sqlite: ${oneLine(e)}`);
  }
  try {
    const Database = load.betterSqlite3();
    return { name: 'better-sqlite3', open: (path, o) => new Database(path, { readonly: Boolean(o?.readonly) }) };
  } catch (e) {
    reasons.push(`better-sqlite3: ${oneLine(e)}`);
  }
  throw new SqliteDriverMissing(reasons);
}

let driver;
const current = () => (driver ??= pickDriver());

/** 'node:sqlite' or 'better-sqlite3': the driver this runtime uses. Throws SqliteDriverMissing if neither loads. */
export function sqliteDriverName() {
  return current().name;
}

/** A connection to the database file `path` (':memory:' for a private in-memory one). */
export function openDatabase(path, o = {}) {
  return current().open(path, o);
}

/** Reads a BLOB as better-sqlite3 does: a Buffer over the same bytes. */
function withBuffers(row) {
  if (row === undefined) return row;
  for (const k in row) {
    const v = row[k];
    if (v instanceof Uint8Array) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  return row;
}

class NodeSqliteStatement {
  #s;
  constructor(s) { this.#s = s; }
  run(...params) { return this.#s.run(...params); }
  get(...params) { return withBuffers(this.#s.get(...params)); }
  all(...params) { return this.#s.all(...params).map(withBuffers); }
  *iterate(...params) { for (const row of this.#s.iterate(...params)) yield withBuffers(row); }
}

const BEGIN = { deferred: 'BEGIN', immediate: 'BEGIN IMMEDIATE' };

class NodeSqliteDatabase {
  #db;
  #open = true;
  /** Statements of transaction control, prepared once per connection. */
  #control = new Map();

  constructor(DatabaseSync, path, o = {}) {
    this.#db = new DatabaseSync(path, o.readonly ? { readOnly: true } : {});
    this.#db.exec('PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16000;');
  }

  get open() { return this.#open; }

  exec(sql) {
    this.#db.exec(sql);
    return this;
  }

  /** `PRAGMA <source>` (node:sqlite has no pragma method). */
  pragma(source, o = {}) {
    const rows = this.prepare(`PRAGMA ${source}`).all();
    return o.simple ? (rows[0] === undefined ? undefined : Object.values(rows[0])[0]) : rows;
  }

  prepare(sql) {
    return new NodeSqliteStatement(this.#db.prepare(sql));
  }

  #run(sql) {
    let s = this.#control.get(sql);
    if (!s) { s = this.#db.prepare(sql); this.#control.set(sql, s); }
    s.run();
  }

  transaction(fn) {
    const inMode = (mode) => (...args) => {
      this.#run(BEGIN[mode]);
      try {
        const result = fn(...args);
        if (typeof result?.then === 'function') throw new TypeError('a transaction function must not return a promise');
        this.#run('COMMIT');
        return result;
      } catch (e) {
        // A failed COMMIT can leave the transaction open; some errors have ended it already.
        try { this.#run('ROLLBACK'); } catch { /* no transaction left to roll back */ }
        throw e;
      }
    };
    const tx = inMode('deferred');
    tx.deferred = tx;
    tx.immediate = inMode('immediate');
    return tx;
  }

  close() {
    this.#db.close();
    this.#open = false;
    return this;
  }
}
