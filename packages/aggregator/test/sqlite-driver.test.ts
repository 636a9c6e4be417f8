/**
 * The store's SQLite driver (store/sqlite-driver.mjs): node:sqlite where the runtime has it built in, else
 * better-sqlite3, with the same reads, results, transactions and pragmas on both; and a server that finds
 * neither says what to do in one line and exits.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, pickDriver, sqliteDriverName, SqliteDriverMissing, type SqliteDatabase } from '../src/store/sqlite-driver.mjs';
import { SqliteStore } from '../src/store/sqlite.js';
import { PKG_ROOT, tempDir } from './helper.js';

/** node:sqlite is there without a flag from Node.js 22.13 and 23.4 on. */
function hasBuiltInSqlite(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 4) || (major === 22 && minor >= 13);
}

const cleanups: (() => void)[] = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });
function scratch(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}
function open(path: string, o?: { readonly?: boolean }): SqliteDatabase {
  const db = openDatabase(path, o);
  cleanups.unshift(() => { if (db.open) db.close(); });
  return db;
}

describe('SQLite driver', () => {
  it(`is node:sqlite where Node.js has it built in, else better-sqlite3 (Node.js ${process.versions.node})`, () => {
    expect(sqliteDriverName()).toBe(hasBuiltInSqlite(process.versions.node) ? 'node:sqlite' : 'better-sqlite3');
  });

  it('reads integers and reals as numbers, text as strings, NULL as null and BLOBs as Buffers', () => {
    const db = open(join(scratch(), 'a.db'));
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER, x REAL, s TEXT, b BLOB, z BLOB)');
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const ins = db.prepare('INSERT INTO t (n, x, s, b, z) VALUES (?, ?, ?, ?, ?)');
    expect(ins.run(1_700_000_000_123, 0.25, 'é', Buffer.from(bytes), null)).toEqual({ changes: 1, lastInsertRowid: 1 });
    expect(ins.run(2, 1.5, 'b', Buffer.alloc(0), null)).toEqual({ changes: 1, lastInsertRowid: 2 });
    const row = db.prepare('SELECT * FROM t WHERE id = ?').get(1) as Record<string, unknown>;
    expect(row).toEqual({ id: 1, n: 1_700_000_000_123, x: 0.25, s: 'é', b: Buffer.from(bytes), z: null });
    expect(Buffer.isBuffer(row.b)).toBe(true);
    expect([...(row.b as Buffer)]).toEqual([...bytes]);
    const rows = db.prepare('SELECT id, b FROM t ORDER BY id').all() as { id: number; b: Buffer }[];
    expect(rows.map((r) => Buffer.isBuffer(r.b) && r.b.length)).toEqual([5, 0]);
    expect([...db.prepare('SELECT id FROM t ORDER BY id DESC').iterate()]).toEqual([{ id: 2 }, { id: 1 }]);
    expect(db.prepare('SELECT * FROM t WHERE id = ?').get(3)).toBeUndefined();
    expect(db.prepare('SELECT s FROM t WHERE n = :n AND x = :x').get({ n: 2, x: 1.5 })).toEqual({ s: 'b' });
    expect(db.prepare("UPDATE t SET s = 'c'").run().changes).toBe(2);
  });

  it('sets and reads pragmas: WAL with synchronous=FULL, and better-sqlite3\'s busy timeout', () => {
    const path = join(scratch(), 'a.db');
    const db = open(path);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('journal_mode = WAL')).toEqual([{ journal_mode: 'wal' }]);
    db.pragma('synchronous = FULL');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.pragma('synchronous = NORMAL');
    expect(db.pragma('synchronous')).toEqual([{ synchronous: 1 }]);
    expect(open(path, { readonly: true }).pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('commits a transaction, rolls it back when its function throws, and .immediate takes the write lock at BEGIN', () => {
    const path = join(scratch(), 'a.db');
    const db = open(path);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v INTEGER)');
    const add = db.prepare('INSERT INTO t (v) VALUES (?)');
    const count = (): number => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
    expect(db.transaction((a: number, b: number) => { add.run(a); add.run(b); return a + b; }).immediate(1, 2)).toBe(3);
    expect(count()).toBe(2);
    expect(() => db.transaction(() => { add.run(3); throw new Error('no'); })()).toThrow('no');
    expect(count()).toBe(2);
    // A second connection that will not wait: it can take the write lock while a deferred transaction only
    // reads, and cannot while an immediate one is open.
    const other = open(path);
    other.pragma('busy_timeout = 0');
    const tryWrite = (): boolean => { try { other.exec('BEGIN IMMEDIATE; ROLLBACK'); return true; } catch { return false; } };
    expect(db.transaction(() => { count(); return tryWrite(); })()).toBe(true);
    expect(db.transaction(() => tryWrite()).immediate()).toBe(false);
    // Not left open by a failed one: the next transaction begins.
    expect(() => db.transaction(() => Promise.resolve(1)).immediate()).toThrow();
    expect(db.transaction(() => count()).immediate()).toBe(2);
  });

  it('opens read-only, and reports a closed connection', () => {
    const path = join(scratch(), 'a.db');
    open(path).exec('CREATE TABLE t (v INTEGER)');
    const ro = open(path, { readonly: true });
    expect(() => ro.exec('INSERT INTO t (v) VALUES (1)')).toThrow(/readonly/);
    expect(ro.open).toBe(true);
    ro.close();
    expect(ro.open).toBe(false);
  });

  it('runs the store in WAL mode on this runtime\'s driver', async () => {
    const path = join(scratch(), 'agg.db');
    const store = new SqliteStore(path, { writerThread: false });
    await store.init();
    try {
      expect(open(path, { readonly: true }).pragma('journal_mode', { simple: true })).toBe('wal');
      expect(open(path, { readonly: true }).pragma('page_size', { simple: true })).toBe(16384);
    } finally {
      await store.close();
    }
  });
});

describe('choosing the driver', () => {
  const fakeSqlite = { DatabaseSync: class {} };
  it('takes node:sqlite when the runtime has it, without loading better-sqlite3', () => {
    let loaded = false;
    expect(pickDriver({ nodeSqlite: () => fakeSqlite, betterSqlite3: () => { loaded = true; return class {}; } }).name).toBe('node:sqlite');
    expect(loaded).toBe(false);
  });

  it('falls back to better-sqlite3 when node:sqlite is missing or fails to load', () => {
    expect(pickDriver({ nodeSqlite: () => undefined, betterSqlite3: () => class {} }).name).toBe('better-sqlite3');
    expect(pickDriver({ nodeSqlite: () => { throw new Error('disabled'); }, betterSqlite3: () => class {} }).name).toBe('better-sqlite3');
  });

  it('fails with one message saying why each driver is missing and what to do', () => {
    const pick = () => pickDriver({ nodeSqlite: () => undefined, betterSqlite3: () => { throw new Error("Cannot find module 'better-sqlite3'\nRequire stack:\n- x.js"); } });
    expect(pick).toThrow(SqliteDriverMissing);
    let message = '';
    try { pick(); } catch (e) { message = (e as Error).message; }
    expect(message).toContain(`node:sqlite is not available in Node.js ${process.versions.node}`);
    expect(message).toContain("better-sqlite3: Cannot find module 'better-sqlite3' Require stack: - x.js");
    expect(message).toMatch(/Run it on Node\.js 22\.13 or later .*install better-sqlite3/);
    expect(message).not.toContain('\n');
    // A binary that was not built: the reason, without the dozen paths `bindings` tried.
    const unbuilt = () => pickDriver({ nodeSqlite: () => undefined, betterSqlite3: () => { throw new Error('Could not locate the bindings file. Tried:\n → /a/build/better_sqlite3.node\n → /a/Release/better_sqlite3.node'); } });
    expect(unbuilt).toThrow(/better-sqlite3: Could not locate the bindings file\)\. Run it/);
  });

  it('a server with neither driver prints that message alone and exits with 1', async () => {
    const dir = scratch();
    // better-sqlite3 made unresolvable, and node:sqlite switched off where the runtime has it.
    const hide = join(dir, 'hide-better-sqlite3.cjs');
    writeFileSync(hide, `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'better-sqlite3') throw Object.assign(new Error("Cannot find module 'better-sqlite3'"), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};
`);
    const flags = hasBuiltInSqlite(process.versions.node) ? ['--no-experimental-sqlite'] : [];
    const child = spawn(process.execPath, [...flags, '-r', hide, '--import', 'tsx', join(PKG_ROOT, 'src', 'server.ts'), '--port', '0', '--db', join(dir, 'agg.db')], { cwd: PKG_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^The aggregator stores its data in SQLite and found no driver for it \(node:sqlite is not available .*better-sqlite3: Cannot find module 'better-sqlite3'\)\. Run it on Node\.js 22\.13/);
  });
});
