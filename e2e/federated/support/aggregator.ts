// The real aggregator (packages/aggregator/src/server.ts) as a child process on 127.0.0.1 with a temporary
// SQLite file, and a recording HTTP proxy in front of it: the SDK is pointed at the proxy, which forwards
// every request unchanged and keeps its method, path, headers and exact body bytes. The proxy is the ground
// truth of what reached the network ("no request at all" is checked there), and it survives an aggregator
// restart (kill -9, then a new process on the same database and a new port).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Aggregator { url: string; child: ChildProcess; stderr(): string }

/** Starts the server on a free port; resolves once it prints its listening line. */
export function startAggregator(db: string, args: string[]): Promise<Aggregator> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'packages', 'aggregator', 'src', 'server.ts'),
    '--host', '127.0.0.1', '--port', '0', '--db', db, '--cors', '*', '--rate-max', '100000', ...args], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PERCH_AGG_LOG: 'warn' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`aggregator did not start: ${stderr}`)); }, 60_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`aggregator exited with ${code}: ${stderr}`)); });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{"event":"listening"')) return;
      clearTimeout(timer);
      resolve({ url: (JSON.parse(line) as { address: string }).address, child, stderr: () => stderr });
    });
  });
}

/** SIGKILL (kill -9) and wait for the exit. */
export async function kill9(a: Aggregator): Promise<void> {
  if (a.child.exitCode !== null || a.child.signalCode !== null) return;
  const exited = new Promise((r) => a.child.once('exit', r));
  a.child.kill('SIGKILL');
  await exited;
}

export interface Recorded { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: Buffer; status?: number; stalled?: boolean }

export interface Proxy {
  url: string;
  requests: Recorded[];
  /** Where requests go now (changed after a restart). */
  target: string;
  /**
   * Requests this predicate picks get the aggregator's status line and headers and the first bytes of its
   * body, then nothing more, with the connection left open (a stalled proxy or a half-open connection).
   */
  stall?: (r: Recorded) => boolean;
  close(): Promise<void>;
}

/** A recording proxy in front of `target`, on `port` of 127.0.0.1 (0 = any free port). */
export async function startProxy(target: string, port = 0): Promise<Proxy> {
  const requests: Recorded[] = [];
  const p = { url: '', requests, target } as Proxy;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      const t = new URL(p.target);
      const fwd = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } }, (up) => {
        rec.status = up.statusCode;
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (p.stall?.(rec)) {
          rec.stalled = true;
          up.once('data', (c: Buffer) => res.write(c.subarray(0, 1)));
          up.resume();
          return;
        }
        up.pipe(res);
      });
      fwd.on('error', () => { rec.status = 502; if (!res.headersSent) res.writeHead(502, { 'access-control-allow-origin': '*' }); res.end(); });
      fwd.end(rec.body);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  p.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  p.close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  return p;
}

export function tempDb(): { db: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'perch-fed-e2e-'));
  return { db: join(dir, 'agg.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function waitFor<T>(f: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
