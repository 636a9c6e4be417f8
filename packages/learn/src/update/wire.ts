/**
 * Update wire format v1: what a client uploads for one round. Binary, little-endian, fixed header, no
 * optional or free-form fields, so a payload has no place for item ids, events, timestamps or a client
 * clock (the server stamps receipt time itself). Binary rather than JSON+base64: a 100k-parameter delta is
 * 100 kB here against ~133 kB of base64 plus a JSON parse, and the transparency log can still show it byte
 * for byte (the header is decoded by `describeUpdate`).
 *
 *   off  size  field
 *     0     4  magic "PRCU"
 *     4     1  format version (1)
 *     5     1  dtype (1 = int8)
 *     6     2  tensor count T (u16)
 *     8     4  round id (u32)
 *    12     4  base model version (u32): the version the delta was computed against
 *    16     4  layout hash (u32, FNV-1a of the tensor names and shapes, see privacy/flatten.ts)
 *    20     4  element count N (u32)
 *    24     4  client weight (u32): number of local examples, capped by the client and the server
 *    28    16  idempotency key: 16 random bytes, never derived from anything about the user
 *    44   4T  scales (f32), one per tensor of the layout
 *  44+4T   N  int8 values (value = q · scale of its tensor)
 *
 * The total length must be exactly 44 + 4T + N: trailing bytes are refused.
 */
import type { Layout } from './layout.js';

export const WIRE_MAGIC = 0x50524355; // "PRCU" read big-endian
export const WIRE_FORMAT_VERSION = 1;
export const DTYPE_INT8 = 1;
export const HEADER_BYTES = 44;
/** Media type for uploads. */
export const UPDATE_CONTENT_TYPE = 'application/vnd.perch.update.v1';

export interface UpdatePayload {
  roundId: number;
  baseVersion: number;
  /** 8 hex chars. */
  layoutHash: string;
  clientWeight: number;
  /** 32 hex chars (16 random bytes). */
  key: string;
  scales: Float32Array;
  q: Int8Array;
}

export type WireErrorCode =
  | 'truncated' | 'bad_magic' | 'unsupported_version' | 'unsupported_dtype' | 'length_mismatch'
  | 'layout_mismatch' | 'bad_scale' | 'bad_weight' | 'bad_key' | 'bad_field';

export interface WireError { code: WireErrorCode; message: string }
export type DecodeResult = { ok: true; update: UpdatePayload } | { ok: false; error: WireError };

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/** Serialises an update; throws on values that cannot be represented (a programming error on the client). */
export function encodeUpdate(u: UpdatePayload): Uint8Array {
  const T = u.scales.length, N = u.q.length;
  for (const [k, v] of [['roundId', u.roundId], ['baseVersion', u.baseVersion], ['clientWeight', u.clientWeight]] as const) {
    if (!isU32(v)) throw new RangeError(`encodeUpdate: ${k} must be a u32, got ${v}`);
  }
  if (T > 0xffff) throw new RangeError('encodeUpdate: too many tensors');
  if (!/^[0-9a-f]{8}$/.test(u.layoutHash)) throw new RangeError('encodeUpdate: layoutHash must be 8 hex chars');
  if (!/^[0-9a-f]{32}$/.test(u.key)) throw new RangeError('encodeUpdate: key must be 32 hex chars');
  const out = new Uint8Array(HEADER_BYTES + 4 * T + N);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, WIRE_MAGIC, false);
  dv.setUint8(4, WIRE_FORMAT_VERSION);
  dv.setUint8(5, DTYPE_INT8);
  dv.setUint16(6, T, true);
  dv.setUint32(8, u.roundId, true);
  dv.setUint32(12, u.baseVersion, true);
  dv.setUint32(16, parseInt(u.layoutHash, 16), true);
  dv.setUint32(20, N, true);
  dv.setUint32(24, u.clientWeight, true);
  for (let i = 0; i < 16; i++) out[28 + i] = parseInt(u.key.slice(2 * i, 2 * i + 2), 16);
  for (let t = 0; t < T; t++) dv.setFloat32(HEADER_BYTES + 4 * t, u.scales[t]!, true);
  out.set(new Uint8Array(u.q.buffer, u.q.byteOffset, N), HEADER_BYTES + 4 * T);
  return out;
}

const fail = (code: WireErrorCode, message: string): DecodeResult => ({ ok: false, error: { code, message } });

/**
 * Parses and validates an update. With `layout`, also checks the tensor count, element count and layout
 * hash against it. Never throws on bad input; returns a typed error instead. The body is copied out, so
 * the result does not alias `bytes`, unless `view` is set (servers validating and discarding at once).
 */
export function decodeUpdate(bytes: Uint8Array, expect: { layout?: Layout; view?: boolean } = {}): DecodeResult {
  if (bytes.length < HEADER_BYTES) return fail('truncated', `payload has ${bytes.length} bytes, header needs ${HEADER_BYTES}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, false) !== WIRE_MAGIC) return fail('bad_magic', 'not a Perch update (bad magic)');
  const version = dv.getUint8(4);
  if (version !== WIRE_FORMAT_VERSION) return fail('unsupported_version', `format version ${version} is not supported`);
  const dtype = dv.getUint8(5);
  if (dtype !== DTYPE_INT8) return fail('unsupported_dtype', `dtype ${dtype} is not supported (only 1 = int8)`);
  const T = dv.getUint16(6, true), N = dv.getUint32(20, true);
  if (bytes.length !== HEADER_BYTES + 4 * T + N) {
    return fail('length_mismatch', `payload has ${bytes.length} bytes, header announces ${HEADER_BYTES + 4 * T + N}`);
  }
  const layoutHash = dv.getUint32(16, true).toString(16).padStart(8, '0');
  const layout = expect.layout;
  if (layout && (T !== layout.tensors.length || N !== layout.size || layoutHash !== layout.hash)) {
    return fail('layout_mismatch', `tensor layout ${layoutHash} (${T} tensors, ${N} values) does not match ${layout.hash} (${layout.tensors.length}, ${layout.size})`);
  }
  const scales = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    const s = dv.getFloat32(HEADER_BYTES + 4 * t, true);
    if (!Number.isFinite(s) || s < 0) return fail('bad_scale', `scale ${t} is ${s}`);
    scales[t] = s;
  }
  const keyBytes = bytes.subarray(28, 44);
  if (keyBytes.every((b) => b === 0)) return fail('bad_key', 'idempotency key is all zeros');
  let key = '';
  for (const b of keyBytes) key += b.toString(16).padStart(2, '0');
  const body = new Int8Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES + 4 * T, N);
  const q = expect.view ? body : new Int8Array(body);
  return {
    ok: true,
    update: { roundId: dv.getUint32(8, true), baseVersion: dv.getUint32(12, true), layoutHash, clientWeight: dv.getUint32(24, true), key, scales, q },
  };
}

/** The header as plain JSON (for the transparency log and debugging): everything but the int8 body. */
export function describeUpdate(u: UpdatePayload): Record<string, unknown> {
  return {
    format: WIRE_FORMAT_VERSION, dtype: 'int8', roundId: u.roundId, baseVersion: u.baseVersion, layoutHash: u.layoutHash,
    clientWeight: u.clientWeight, key: u.key, scales: Array.from(u.scales), values: u.q.length,
  };
}
