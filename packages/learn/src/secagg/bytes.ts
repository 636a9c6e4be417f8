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

/** Bytes per element in the packed vector encoding: 2 when bits ≤ 16, else 4 (little-endian). */
export function elementBytes(bits: number): number { return bits <= 16 ? 2 : 4; }

/** Packs a vector of values in [0, 2^bits) little-endian, 2 or 4 bytes per element, as base64url. */
export function encodeVector(v: Uint32Array, bits: number): string {
  const w = elementBytes(bits);
  const out = new Uint8Array(v.length * w);
  const view = new DataView(out.buffer);
  if (w === 2) for (let i = 0; i < v.length; i++) view.setUint16(2 * i, v[i]!, true);
  else for (let i = 0; i < v.length; i++) view.setUint32(4 * i, v[i]!, true);
  return toB64(out);
}

/** Inverse of `encodeVector`; `undefined` on bad encoding, wrong length or an element ≥ 2^bits. */
export function decodeVector(text: unknown, d: number, bits: number): Uint32Array | undefined {
  const w = elementBytes(bits);
  const bytes = fromB64Len(text, d * w);
  if (!bytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(d);
  const limit = 2 ** bits;
  for (let i = 0; i < d; i++) {
    const x = w === 2 ? view.getUint16(2 * i, true) : view.getUint32(4 * i, true);
    if (x >= limit) return undefined;
    out[i] = x;
  }
  return out;
}
