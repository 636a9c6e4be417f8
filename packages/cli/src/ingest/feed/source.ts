/**
 * A feed's text, streamed: a local path or an http(s) URL (Node's fetch), gunzipped when the bytes are gzip
 * (sniffed, whatever the name), decoded by its byte-order mark or XML declaration (UTF-8 by default). A gzip
 * stream that ends early or turns corrupt is not an error here: the text decoded so far is handed on and the
 * cut is recorded, so the reader keeps what is complete and reports the rest.
 */
import { SourceError } from '../report.js';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

export interface FeedText {
  /** Name for report examples. */
  name: string;
  /** Decoded text, in chunks. */
  chunks: AsyncIterable<string>;
  /** Set once `chunks` is done: whether the bytes were gzip, and why the stream ended early if it did. */
  state: { gzip: boolean; encoding: string; cutOff?: string };
}

export interface OpenOptions {
  name?: string;
  timeoutMs?: number;
  onBytes?: (bytesRead: number, totalBytes: number | undefined) => void;
}

const CHUNK = 1 << 20;

/** The last path segment of a URL (never its query, which may hold a token), else its host. */
function urlName(u: URL): string {
  const seg = u.pathname.split('/').filter(Boolean).pop();
  return seg ? decodeURIComponent(seg) : u.host;
}

async function openBytes(source: string, opts: OpenOptions): Promise<{ name: string; bytes: AsyncIterable<Uint8Array>; total?: number }> {
  if (/^https?:\/\//i.test(source)) {
    const url = new URL(source);
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000), redirect: 'follow' });
    } catch (e) {
      const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
      throw new SourceError(`feed ${url.origin}${url.pathname}: request failed (${cause})`);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new SourceError(`feed ${url.origin}${url.pathname}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    }
    // a length is the transfer's only when fetch did not decode a Content-Encoding
    const len = Number(res.headers.get('content-length'));
    const total = res.headers.get('content-encoding') || !Number.isFinite(len) || len <= 0 ? undefined : len;
    return { name: opts.name ?? urlName(url), bytes: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), total };
  }
  let path = source;
  if (/^file:/i.test(source)) path = fileURLToPath(source);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) throw new SourceError(`feed ${source}: only local paths and http(s) URLs are read`);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new SourceError(`feed ${path}: not a file`);
    size = st.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SourceError(`feed ${path}: no such file`);
    throw e;
  }
  return { name: opts.name ?? basename(path), bytes: createReadStream(path, { highWaterMark: CHUNK }), total: size };
}

/** Counts bytes for the progress callback as they pass; a read that fails is an Error naming the feed. */
async function* counted(name: string, bytes: AsyncIterable<Uint8Array>, total: number | undefined, onBytes: OpenOptions['onBytes']): AsyncGenerator<Uint8Array> {
  let n = 0;
  try {
    for await (const b of bytes) {
      n += b.length;
      onBytes?.(n, total);
      yield b;
    }
  } catch (e) {
    throw new SourceError(`feed ${name}: reading failed after ${n} bytes (${(e as Error).message})`);
  }
}

/** The encoding named by a byte-order mark, or by an XML declaration in the first bytes; else UTF-8. */
export function sniffEncoding(head: Uint8Array): string {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  const start = new TextDecoder('latin1').decode(head.subarray(0, 256));
  const m = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(start);
  const enc = m ? m[1]!.toLowerCase() : 'utf-8';
  // a declaration readable as ASCII is not in a 16-bit encoding, whatever it says (those come with a BOM)
  return /^(utf-?16|ucs-?2|utf-?32)/.test(enc) ? 'utf-8' : enc;
}

/** Opens a feed: see the module comment. A missing file, a failed request or an unknown encoding throws. */
export async function openFeed(source: string, opts: OpenOptions = {}): Promise<FeedText> {
  const { name, bytes, total } = await openBytes(source, opts);
  const state: FeedText['state'] = { gzip: false, encoding: 'utf-8' };
  const it = counted(name, bytes, total, opts.onBytes)[Symbol.asyncIterator]();
  // the first chunk decides gzip and the encoding
  const first = await it.next();
  const head = first.done ? new Uint8Array(0) : first.value;
  const rest = async function* (): AsyncGenerator<Uint8Array> {
    if (!first.done) yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  };
  let plain: AsyncIterable<Uint8Array> = rest();
  let firstPlain: Uint8Array | undefined;
  if (head[0] === 0x1f && head[1] === 0x8b) {
    state.gzip = true;
    const gunzip = createGunzip({ chunkSize: CHUNK });
    Readable.from(rest()).on('error', (e) => gunzip.destroy(e)).pipe(gunzip);
    const gz = gunzip[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    let r: IteratorResult<Uint8Array>;
    try {
      r = await gz.next();
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw new SourceError(`feed ${name}: gzip data cannot be read (${(e as Error).message})`);
    }
    firstPlain = r.done ? undefined : r.value;
    plain = (async function* () {
      if (r.done) return;
      yield r.value;
      try {
        for (let x = await gz.next(); !x.done; x = await gz.next()) yield x.value;
      } catch (e) {
        if (e instanceof SourceError) throw e;
        state.cutOff = `the gzip stream ends early or is corrupt (${(e as Error).message})`;
      }
    })();
  }
  const encoding = sniffEncoding(firstPlain ?? head);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding);
  } catch {
    throw new SourceError(`feed ${name}: unsupported encoding "${encoding}"`);
  }
  state.encoding = decoder.encoding;
  const chunks = (async function* () {
    for await (const b of plain) {
      const s = decoder.decode(b, { stream: true });
      if (s) yield s;
    }
    const s = decoder.decode();
    if (s) yield s;
  })();
  return { name, chunks, state };
}
