/**
 * Native crypto for the aggregator's secure-aggregation server (`SecAggServer.open(options, nodeSecAggBackend())`):
 * X25519, AES-256-CTR, HKDF-SHA-256 and HMAC-SHA-256 through `node:crypto`, without Web Crypto's per-call promise
 * and key-import overhead. It computes exactly the functions of `@perch/learn/secagg`'s Web Crypto default
 * (RFC 7748 X25519; AES-256-CTR from the all-zero counter block; RFC 5869 HKDF; RFC 2104 HMAC), so devices and
 * server expand identical masks (test/secagg-backend.test.ts checks both against each other).
 *
 * By default everything runs synchronously on the calling thread. With `threads` > 0 the two heavy operations,
 * X25519 batches and keystreams, run on a pool of worker threads (unref'd while idle), so the server's additions on
 * the main thread overlap them; on a busy 2-core machine that cost more CPU than it saved (the messages and copies),
 * so it is opt-in.
 */
import { createCipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { SecAggBackend } from '@perch/learn/secagg';

const PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const ZERO_IV = Buffer.alloc(16);

/** The synchronous operations, shared by the calling thread and the pool's workers (source inlined below). */
function makeOps() {
  let zeros = Buffer.alloc(0);
  const privates = new Map<string, KeyObject>(); // publicKeyOf(s) then agreeMany(s, …): parse each secret key once
  const priv = (raw: Uint8Array): KeyObject => {
    const id = Buffer.from(raw).toString('hex');
    let k = privates.get(id);
    if (!k) {
      k = createPrivateKey({ key: Buffer.concat([PKCS8, raw]), format: 'der', type: 'pkcs8' });
      if (privates.size >= 64) privates.delete(privates.keys().next().value!);
      privates.set(id, k);
    }
    return k;
  };
  const publics = new Map<string, KeyObject>();
  const pub = (raw: Uint8Array): KeyObject => {
    const id = Buffer.from(raw).toString('hex');
    let k = publics.get(id);
    if (!k) {
      k = createPublicKey({ key: Buffer.concat([SPKI, raw]), format: 'der', type: 'spki' });
      if (publics.size > 100_000) publics.clear();
      publics.set(id, k);
    }
    return k;
  };
  return {
    agreeMany(secretKey: Uint8Array, peers: readonly Uint8Array[]): Uint8Array[] {
      const privateKey = priv(secretKey);
      return peers.map((p) => {
        const s = new Uint8Array(diffieHellman({ privateKey, publicKey: pub(p) }));
        if (s.every((b) => b === 0)) throw new Error('secagg: low-order public key');
        return s;
      });
    },
    keystream(key: Uint8Array, length: number): Uint8Array {
      if (zeros.length < length) zeros = Buffer.alloc(length); // AES-CTR of zeros: one shared, never-written input
      const c = createCipheriv('aes-256-ctr', key, ZERO_IV);
      const out = c.update(zeros.subarray(0, length));
      c.final();
      return new Uint8Array(out.buffer, out.byteOffset, out.length);
    },
  };
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createCipheriv, createPrivateKey, createPublicKey, diffieHellman } = require('node:crypto');
const PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const ZERO_IV = Buffer.alloc(16);
const publics = new Map();
const pub = (raw) => { const id = Buffer.from(raw).toString('hex'); let k = publics.get(id);
  if (!k) { k = createPublicKey({ key: Buffer.concat([SPKI, raw]), format: 'der', type: 'spki' }); if (publics.size > 100000) publics.clear(); publics.set(id, k); } return k; };
parentPort.on('message', (m) => {
  try {
    if (m.op === 'ks') {
      const out = new Uint8Array(m.length);
      const c = createCipheriv('aes-256-ctr', m.key, ZERO_IV);
      const b = c.update(out); out.set(b); c.final();
      parentPort.postMessage({ id: m.id, out }, [out.buffer]);
    } else {
      const priv = createPrivateKey({ key: Buffer.concat([PKCS8, m.sk]), format: 'der', type: 'pkcs8' });
      const out = m.peers.map((p) => new Uint8Array(diffieHellman({ privateKey: priv, publicKey: pub(p) })));
      if (out.some((s) => s.every((b) => b === 0))) throw new Error('secagg: low-order public key');
      parentPort.postMessage({ id: m.id, out });
    }
  } catch (e) { parentPort.postMessage({ id: m.id, error: String(e && e.message || e) }); }
});`;

class Pool {
  private workers: Worker[];
  private next = 0;
  private seq = 0;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private busy = 0;
  constructor(threads: number) {
    this.workers = Array.from({ length: threads }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      w.on('message', (m: { id: number; out?: unknown; error?: string }) => {
        const p = this.pending.get(m.id)!;
        this.pending.delete(m.id);
        if (--this.busy === 0) for (const x of this.workers) x.unref();
        if (m.error) p.reject(new Error(m.error)); else p.resolve(m.out);
      });
      return w;
    });
  }
  run<T>(msg: Record<string, unknown>): Promise<T> {
    const id = this.seq++;
    const w = this.workers[this.next++ % this.workers.length]!;
    if (this.busy++ === 0) for (const x of this.workers) x.ref(); // keep the process alive while work is pending
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ ...msg, id });
    });
  }
}

export interface NodeSecAggBackendOptions {
  /** Worker threads for X25519 and keystreams; 0 (the default) runs them on the calling thread. */
  threads?: number;
}

export function nodeSecAggBackend(options: NodeSecAggBackendOptions = {}): SecAggBackend {
  const ops = makeOps();
  const threads = options.threads ?? 0;
  const pool = threads > 0 ? new Pool(threads) : undefined;
  return {
    async agreeMany(secretKey, peers) {
      if (!pool) return ops.agreeMany(secretKey, peers);
      return pool.run<Uint8Array[]>({ op: 'dh', sk: secretKey, peers });
    },
    async keystream(key, length) {
      if (!pool) return ops.keystream(key, length);
      return pool.run<Uint8Array>({ op: 'ks', key, length });
    },
    hkdf(ikm, salt, info, length) {
      return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
    },
    hmac(key, data) {
      return new Uint8Array(createHmac('sha256', key).update(data).digest());
    },
  };
}
