// The real aggregator (packages/aggregator/src/server.ts) as a child process on 127.0.0.1 with a temporary
// SQLite file, and a recording HTTP proxy in front of it: the SDK is pointed at the proxy, which forwards
// every request unchanged and keeps its method, path, headers and exact body bytes. The proxy is the ground
// truth of what reached the network ("no request at all" is checked there), and it survives an aggregator
// restart (kill -9, then a new process on the same database, on a new port or, with `--port`, the same one). The aggregator signs with a key file
// beside its database (`signing-key.json` in the temp dir, unless `args` name another with `--signing-key`); its
// public key is what the pages pin (`modelKeys`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Aggregator { url: string; child: ChildProcess; stdout(): string; stderr(): string; modelKey: { keyId: string; publicKey: string } }

/**
 * Starts the server on a free port (unless `args` name one with `--port`); resolves once it prints its listening
 * line. It logs at `warn` unless `logLevel` says otherwise; `stdout()` and `stderr()` are everything it printed.
 */
export function startAggregator(db: string, args: string[], logLevel = 'warn'): Promise<Aggregator> {
  const key = args.includes('--signing-key') ? [] : ['--signing-key', join(dirname(db), 'signing-key.json')];
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'packages', 'aggregator', 'src', 'server.ts'),
    '--host', '127.0.0.1', '--port', '0', '--db', db, '--cors', '*', '--rate-max', '100000', ...key, ...args], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PERCH_AGG_LOG: logLevel },
  });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`aggregator did not start: ${stderr}`)); }, 60_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`aggregator exited with ${code}: ${stderr}`)); });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{"event":"listening"')) return;
      clearTimeout(timer);
      const l = JSON.parse(line) as { address: string; modelKey: Aggregator['modelKey'] };
      resolve({ url: l.address, modelKey: l.modelKey, child, stdout: () => stdout, stderr: () => stderr });
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
  /**
   * A malicious aggregator: sees each answer (buffered, with its headers) and may return another body (and
   * status) for it; the headers are the aggregator's, with the length recomputed. Returning undefined passes the
   * answer unchanged.
   */
  rewrite?: (r: Recorded, answer: { status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }) => { status?: number; body: Buffer } | undefined;
  /** Requests this picks (it returns a promise) are recorded at once but forwarded only once the promise settles. */
  hold?: (r: Recorded) => Promise<void> | undefined;
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
      const held = p.hold?.(rec);
      if (held) void held.finally(() => forward(rec, req, res));
      else forward(rec, req, res);
    });
  });
  /** Sends a recorded request on to the current target and its answer back (through `rewrite` or `stall`). */
  const forward = (rec: Recorded, req: IncomingMessage, res: ServerResponse): void => {
    const t = new URL(p.target);
    const fwd = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } }, (up) => {
      rec.status = up.statusCode;
      if (p.rewrite) {
        const parts: Buffer[] = [];
        up.on('data', (c: Buffer) => parts.push(c));
        up.on('end', () => {
          const answer = { status: up.statusCode ?? 502, body: Buffer.concat(parts), headers: up.headers };
          const out = p.rewrite?.(rec, answer) ?? answer;
          rec.status = out.status ?? answer.status;
          const headers = { ...up.headers, 'content-length': String(out.body.length) };
          delete headers['transfer-encoding'];
          if (out.body !== answer.body) delete headers.etag; // another body is not the aggregator's ETag
          res.writeHead(rec.status, headers);
          res.end(out.body);
        });
        return;
      }
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
  };
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
