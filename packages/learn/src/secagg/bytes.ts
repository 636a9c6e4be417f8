/**
 * Byte helpers for the secure-aggregation messages: strict base64url (messages and saved state are plain JSON,
 * so every key, ciphertext and vector travels as text), concatenation, UTF-8, and the packed vector encoding.
 * Written here rather than with `btoa`/`Buffer` so the codec is the same in a worker, Node and the aggregator and
 * rejects any non-canonical text (a validator must be able to say "bad encoding" rather than guess).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Unpadded base64url of `bytes`. */
export function toB64(bytes: Uint8Array): string {
  let out = '';
  const n = bytes.length;
  const parts: string[] = [];
  for (let i = 0; i < n; i += 3) {
    const a = bytes[i]!, b = i + 1 < n ? bytes[i + 1]! : 0, c = i + 2 < n ? bytes[i + 2]! : 0;
    const v = (a << 16) | (b << 8) | c;
    out += ALPHABET[(v >> 18) & 63]! + ALPHABET[(v >> 12) & 63]!;
    if (i + 1 < n) out += ALPHABET[(v >> 6) & 63]!;
    if (i + 2 < n) out += ALPHABET[v & 63]!;
    if (out.length >= 8192) { parts.push(out); out = ''; }
  }
  parts.push(out);
  return parts.join('');
}

/** Decodes canonical unpadded base64url; `undefined` for anything else (bad characters, length, trailing bits). */
export function fromB64(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const q = Math.min(4, text.length - i);
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const code = j < q ? text.charCodeAt(i + j) : 65;
      const s = code < 128 ? LOOKUP[code]! : -1;
      if (s < 0) return undefined;
      v = (v << 6) | (j < q ? s : 0);
    }
    out[o++] = (v >> 16) & 255;
    if (q > 2) out[o++] = (v >> 8) & 255;
    if (q > 3) out[o++] = v & 255;
    if (q === 2 && (v & 0xffff) !== 0) return undefined; // non-canonical trailing bits
    if (q === 3 && (v & 0xff) !== 0) return undefined;
  }
  return out;
}

/** `fromB64` that also checks the decoded length. */
export function fromB64Len(text: unknown, length: number): Uint8Array | undefined {
  const b = fromB64(text);
  return b && b.length === length ? b : undefined;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const encoder = new TextEncoder();
export function utf8(s: string): Uint8Array { return encoder.encode(s); }

/** Length-prefixed fields, so that concatenated labels can never collide ("ab"+"c" vs "a"+"bc"). */
export function fields(...parts: (string | Uint8Array)[]): Uint8Array {
  const bytes = parts.map((p) => (typeof p === 'string' ? utf8(p) : p));
  const out: Uint8Array[] = [];
  for (const b of bytes) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, b.length, true);
    out.push(len, b);
  }
  return concat(...out);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Bytes of a vector of `d` values packed at `bits` bits each. */
export function packedBytes(d: number, bits: number): number { return Math.ceil((d * bits) / 8); }

/** Packs values in [0, 2^bits) at exactly `bits` bits each, least significant bit first (the layout of
 * `@perch/learn/ddg`'s `pack`); the unused high bits of the last byte are zero. */
export function packVector(v: ArrayLike<number>, bits: number): Uint8Array {
  const out = new Uint8Array(packedBytes(v.length, bits));
  let o = 0;
  if (bits <= 24) {
    let buf = 0, n = 0; // n < 8 before each push, so buf stays below 2^31
    for (let i = 0; i < v.length; i++) {
      buf |= v[i]! << n; n += bits;
      while (n >= 8) { out[o++] = buf & 255; buf >>>= 8; n -= 8; }
    }
    if (n > 0) out[o] = buf & 255;
  } else {
    let buf = 0, n = 0; // a double: < 2^(7 + 32), exact
    for (let i = 0; i < v.length; i++) {
      buf += v[i]! * 2 ** n; n += bits;
      while (n >= 8) { out[o++] = buf % 256; buf = Math.floor(buf / 256); n -= 8; }
    }
    if (n > 0) out[o] = buf;
  }
  return out;
}

/** Inverse of `packVector`; `undefined` for the wrong length or non-zero padding bits. */
export function unpackVector(bytes: Uint8Array, d: number, bits: number): Uint32Array | undefined {
  if (bytes.length !== packedBytes(d, bits)) return undefined;
  const out = new Uint32Array(d);
  let i = 0, o = 0;
  if (bits <= 24) {
    const m = 2 ** bits - 1;
    let buf = 0, n = 0;
    for (; o < d; o++) {
      while (n < bits) { buf |= bytes[i++]! << n; n += 8; }
      out[o] = buf & m; buf >>>= bits; n -= bits;
    }
    if (buf !== 0) return undefined;
  } else {
    const unit = 2 ** bits;
    let buf = 0, n = 0;
    for (; o < d; o++) {
      while (n < bits) { buf += bytes[i++]! * 2 ** n; n += 8; }
      out[o] = buf % unit; buf = Math.floor(buf / unit); n -= bits;
    }
    if (buf !== 0) return undefined;
  }
  return out;
}

/** A vector of values in [0, 2^bits), packed at `bits` bits each (`packVector`), as base64url. */
export function encodeVector(v: Uint32Array, bits: number): string {
  return toB64(packVector(v, bits));
}

/** Inverse of `encodeVector`; `undefined` on bad encoding, wrong length or non-zero padding bits. */
export function decodeVector(text: unknown, d: number, bits: number): Uint32Array | undefined {
  const bytes = fromB64(text);
  return bytes ? unpackVector(bytes, d, bits) : undefined;
}
