/**
 * The append-only log of published model versions: a hash chain. Entry i is the manifest's body (the manifest
 * without `log` and `signature`):
 *
 *   leaf_i = SHA-256("perch-log-leaf-v1" ‖ 0x00 ‖ canonical JSON of body_i)
 *   head_i = SHA-256("perch-log-node-v1" ‖ 0x00 ‖ head_{i-1} ‖ leaf_i)      head_{-1} = 32 zero bytes
 *
 * Each manifest carries `log: {index, prev, head}` inside its signed part, and the aggregator's signed checkpoint
 * is the latest {index, head}. Whoever holds an accepted (index, head) can check that a later one extends it by
 * re-hashing the leaves in between (`extendsTo`); two versions that claim the same index with different heads, or
 * a head that the leaves do not lead to, are a fork. A chain rather than a Merkle tree: versions are few (one per
 * round) and a device only ever walks forward from its own last checkpoint, so the leaves between are the proof,
 * and the verifier stays a few lines. Pure and isomorphic, like the rest of `export/`.
 */
import type { Manifest } from './format.js';
import { sha256Hex } from './sha256.js';
import { base64url, canonicalJson, CHECKPOINT_DOMAIN, MANIFEST_DOMAIN, SIGNATURE_ALG, signingMessage, type SignatureField } from './signature.js';

export const LEAF_DOMAIN = 'perch-log-leaf-v1';
export const NODE_DOMAIN = 'perch-log-node-v1';
export const CHECKPOINT_FORMAT = 'perch-log-checkpoint';
/** head_{-1}: the empty log. */
export const EMPTY_HEAD = '0'.repeat(64);
/** Most leaves one `GET /v1/log/leaves` answers with. */
export const MAX_LEAVES_PAGE = 1000;

/** Where a version sits in the log (in the manifest, signed with it). Hashes are lower-case hex. */
export interface LogPosition { index: number; prev: string; head: string }

/** A point of the log: the entry at `index` and the head after it. */
export interface LogPoint { index: number; head: string }

/** The aggregator's signed view of its log (`GET /v1/log/checkpoint`; a witness serves a copy). */
export interface Checkpoint extends LogPoint { format: typeof CHECKPOINT_FORMAT; signature: SignatureField }

/** Leaf hashes of entries [from, to) (at most a page; fewer when the source pages). */
export type LeafSource = (from: number, to: number) => Promise<string[]>;

/** A log or checkpoint that does not hold together (a fork, a replay, a malformed position). */
export class LogError extends Error {
  override name = 'LogError';
  constructor(readonly code: 'malformed' | 'replay' | 'fork', message: string) {
    super(message);
  }
}

const enc = new TextEncoder();
const HEX64 = /^[0-9a-f]{64}$/;

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The manifest without its log position and signature: what a leaf commits to. */
export function manifestBody(m: Manifest): Omit<Manifest, 'log' | 'signature'> {
  const { log: _l, signature: _s, ...body } = m;
  return body;
}

export const leafHash = (m: Manifest): Promise<string> => sha256Hex(`${LEAF_DOMAIN}\u0000${canonicalJson(manifestBody(m))}`);

export async function nextHead(prev: string, leaf: string): Promise<string> {
  const tag = enc.encode(`${NODE_DOMAIN}\u0000`);
  const buf = new Uint8Array(tag.length + 64);
  buf.set(tag);
  buf.set(hexBytes(prev), tag.length);
  buf.set(hexBytes(leaf), tag.length + 32);
  return sha256Hex(buf);
}

/** A well-formed point: a non-negative integer index and a 64-hex-digit head. */
export function isLogPoint(p: unknown): p is LogPoint {
  const q = p as LogPoint | null;
  return !!q && typeof q === 'object' && Number.isSafeInteger(q.index) && q.index >= 0 && typeof q.head === 'string' && HEX64.test(q.head);
}

/**
 * Checks the manifest's own log position: `head = H(prev, leaf(body))`, and an index-0 entry starts from the empty
 * log. Returns the position; throws `LogError('malformed')` when absent or inconsistent.
 */
export async function manifestPosition(m: Manifest): Promise<LogPosition> {
  const log = m.log;
  if (!isLogPoint(log) || typeof log.prev !== 'string' || !HEX64.test(log.prev)) throw new LogError('malformed', 'the manifest has no log position');
  if (log.index === 0 && log.prev !== EMPTY_HEAD) throw new LogError('malformed', 'log entry 0 does not start from the empty log');
  if ((await nextHead(log.prev, await leafHash(m))) !== log.head) throw new LogError('malformed', `log entry ${log.index}: its head does not match the manifest`);
  return { index: log.index, prev: log.prev, head: log.head };
}

/** The checkpoint document for a point (signed over `signingMessage(CHECKPOINT_DOMAIN, …)`, signature.ts). */
export const checkpointBody = (p: LogPoint): Omit<Checkpoint, 'signature'> => ({ format: CHECKPOINT_FORMAT, index: p.index, head: p.head });

/** Chains `leaves` onto `head`. */
export async function chain(head: string, leaves: readonly string[]): Promise<string> {
  let h = head;
  for (const l of leaves) {
    if (typeof l !== 'string' || !HEX64.test(l)) throw new LogError('malformed', 'a leaf hash is not 64 hex digits');
    h = await nextHead(h, l);
  }
  return h;
}

/**
 * Whether the log at `later` extends the log at `earlier` (earlier.index ≤ later.index): equal heads at the same
 * index, else the leaves (earlier.index, later.index] fetched from `leaves` page by page and chained onto
 * earlier.head give later.head. Throws `LogError('fork')` when they do not, or when the source answers short.
 */
export async function extendsTo(earlier: LogPoint, later: LogPoint, leaves: LeafSource): Promise<void> {
  if (later.index < earlier.index) throw new LogError('replay', `log index ${later.index} is below ${earlier.index}`);
  if (later.index === earlier.index) {
    if (later.head !== earlier.head) throw new LogError('fork', `two heads for log index ${later.index}`);
    return;
  }
  let head = earlier.head;
  for (let from = earlier.index + 1; from <= later.index;) {
    const page = await leaves(from, later.index + 1);
    if (!Array.isArray(page) || page.length === 0 || page.length > later.index + 1 - from) throw new LogError('fork', `the log does not give leaves ${from}–${later.index}`);
    head = await chain(head, page);
    from += page.length;
  }
  if (head !== later.head) throw new LogError('fork', `the log from index ${earlier.index} does not lead to the head of index ${later.index}`);
}

/**
 * Whether the log entry `entry` (a verified manifest position) extends `earlier` (earlier.index ≤ entry.index): at the
 * same index the heads agree; above it, the leaves strictly between chained onto earlier.head give entry.prev (its
 * own leaf is bound to its head by `manifestPosition`). The next entry needs no leaves at all: its prev is compared.
 */
export async function entryExtends(earlier: LogPoint, entry: LogPosition, leaves: LeafSource): Promise<void> {
  if (entry.index < earlier.index) throw new LogError('replay', `log index ${entry.index} is below ${earlier.index}`);
  return extendsTo(earlier, entry.index === earlier.index ? entry : { index: entry.index - 1, head: entry.prev }, leaves);
}

/** A signing key held by the publisher: its id and raw Ed25519 signing (node:crypto on the aggregator). */
export interface Signer { keyId: string; sign(message: Uint8Array): Promise<Uint8Array> | Uint8Array }

async function signed<T extends object>(domain: string, doc: T, signer: Signer): Promise<T & { signature: SignatureField }> {
  const value = base64url(await signer.sign(signingMessage(domain, doc)));
  return { ...doc, signature: { alg: SIGNATURE_ALG, keyId: signer.keyId, value } };
}

/**
 * Appends a manifest to the log after `prev` (null: the first entry) and signs it: the manifest gains
 * `log: {index, prev, head}`, then `signature` over everything else. Any `log` or `signature` it had is replaced.
 */
export async function sealManifest(m: Manifest, prev: LogPoint | null, signer: Signer): Promise<Manifest & { log: LogPosition }> {
  const body = manifestBody(m);
  const index = prev ? prev.index + 1 : 0;
  const prevHead = prev ? prev.head : EMPTY_HEAD;
  const log: LogPosition = { index, prev: prevHead, head: await nextHead(prevHead, await leafHash(body)) };
  return signed(MANIFEST_DOMAIN, { ...body, log }, signer);
}

export const signCheckpoint = (p: LogPoint, signer: Signer): Promise<Checkpoint> => signed(CHECKPOINT_DOMAIN, checkpointBody(p), signer);
