/**
 * The binary wire form of the secure-aggregation messages (the JSON objects of `messages.ts` stay the state
 * machines' API and saved state). Raw bytes instead of base64, the masked vector packed at its bit width, and
 * devices named by their index in the round's sorted participant list (2 bytes while n ≤ 65,536, else 4) instead of
 * their id; the participant list itself travels once, in the share-keys request, and the later sets (U2, U3) as
 * bitmaps over it (n/8 bytes). Little-endian throughout. Layout: version byte, step byte (+0x80 for a request),
 * round id (1-byte length + UTF-8), then the step's fields. Decoding needs the round's context (participants,
 * d, bits) and returns `undefined` for anything that does not parse exactly, to the last byte.
 */
import { fromB64, packedBytes, toB64, utf8 } from './bytes.js';
import { COMMIT_BYTES, ENVELOPE_BYTES, KEY_BYTES, STEPS,
  type AdvertiseKeys, type AdvertiseKeysRequest, type MaskedInput, type MaskedInputRequest, type ShareKeys,
  type ShareKeysRequest, type Step, type Unmask, type UnmaskRequest } from './messages.js';
import { SHARE_BYTES } from './shamir.js';

export const WIRE_VERSION = 1;
export type WireRequest = AdvertiseKeysRequest | ShareKeysRequest | MaskedInputRequest | UnmaskRequest;
export type WireReply = AdvertiseKeys | ShareKeys | MaskedInput | Unmask;
/** What decoding needs: the participants (from the share-keys request on) and the vector's shape. */
export interface WireContext { participants?: readonly string[]; d?: number; bits?: number }

const decoder = new TextDecoder('utf-8', { fatal: true });

class Writer {
  private parts: Uint8Array[] = [];
  u8(v: number) { this.parts.push(Uint8Array.of(v)); }
  u16(v: number) { this.parts.push(Uint8Array.of(v & 255, v >>> 8)); }
  u32(v: number) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); this.parts.push(b); }
  bytes(b: Uint8Array) { this.parts.push(b); }
  b64(s: string, len: number) { const b = fromB64(s); if (!b || b.length !== len) throw new RangeError('wire: bad field'); this.parts.push(b); }
  str(s: string) { const b = utf8(s); if (b.length > 255) throw new RangeError('wire: string over 255 bytes'); this.u8(b.length); this.parts.push(b); }
  idx(i: number, n: number) { if (i < 0) throw new RangeError('wire: unknown device'); if (n <= 65_536) this.u16(i); else this.u32(i); }
  finish(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

class Reader {
  o = 0;
  constructor(private b: Uint8Array) {}
  private need(n: number) { if (this.o + n > this.b.length) throw new RangeError('wire: truncated'); }
  u8() { this.need(1); return this.b[this.o++]!; }
  u16() { this.need(2); const v = this.b[this.o]! | (this.b[this.o + 1]! << 8); this.o += 2; return v; }
  u32() { this.need(4); const v = new DataView(this.b.buffer, this.b.byteOffset + this.o, 4).getUint32(0, true); this.o += 4; return v; }
  bytes(n: number) { this.need(n); const v = this.b.slice(this.o, this.o + n); this.o += n; return v; }
  b64(n: number) { return toB64(this.bytes(n)); }
  str() { return decoder.decode(this.bytes(this.u8())); }
  idx(list: readonly string[]) { const i = list.length <= 65_536 ? this.u16() : this.u32(); const id = list[i]; if (id === undefined) throw new RangeError('wire: index'); return id; }
  end() { if (this.o !== this.b.length) throw new RangeError('wire: trailing bytes'); }
}

const stepCode = (s: Step): number => STEPS.indexOf(s);

function bitmap(w: Writer, all: readonly string[], subset: readonly string[]) {
  const pos = new Map(all.map((id, i) => [id, i]));
  const b = new Uint8Array(Math.ceil(all.length / 8));
  for (const id of subset) { const i = pos.get(id); if (i === undefined) throw new RangeError('wire: unknown device'); b[i >> 3]! |= 1 << (i & 7); }
  w.bytes(b);
}
function readBitmap(r: Reader, all: readonly string[]): string[] {
  const b = r.bytes(Math.ceil(all.length / 8));
  const out: string[] = [];
  for (let i = 0; i < all.length; i++) if (b[i >> 3]! & (1 << (i & 7))) out.push(all[i]!);
  if (all.length % 8 && b[b.length - 1]! >> (all.length % 8)) throw new RangeError('wire: bitmap padding');
  return out;
}

/** Version byte, step byte (+0x80 for a request), round id. */
function writeHeader(w: Writer, step: Step, roundId: string, request: boolean) {
  w.u8(WIRE_VERSION); w.u8((request ? 0x80 : 0) | stepCode(step)); w.str(roundId);
}
/** The header's step, or `undefined` for another version or the other direction. */
function readHeader(r: Reader, request: boolean): { step: Step | undefined; roundId: string } {
  const version = r.u8(), code = r.u8(), roundId = r.str();
  const ok = version === WIRE_VERSION && Boolean(code & 0x80) === request;
  return { step: ok ? STEPS[code & 0x7f] : undefined, roundId };
}

const need = <T>(v: T | undefined, what: string): T => { if (v === undefined) throw new RangeError(`wire: needs ${what}`); return v; };

/** Encodes a server → device request. `ctx.participants` is needed from the masked-input request on. */
export function encodeRequest(m: WireRequest, ctx: WireContext = {}): Uint8Array {
  const w = new Writer();
  writeHeader(w, m.step, m.roundId, true);
  switch (m.step) {
    case 'advertise-keys': w.b64(m.seed, 32); w.u8(m.bits); w.u32(m.d); break;
    case 'share-keys': {
      const P = m.participants, pos = new Map(P.map((id, i) => [id, i]));
      w.u16(m.k); w.u16(m.t); w.u32(P.length);
      for (const id of P) w.str(id);
      w.u16(m.neighbours.length);
      for (const p of m.neighbours) { w.idx(pos.get(p.id) ?? -1, P.length); w.b64(p.cPk, KEY_BYTES); w.b64(p.sPk, KEY_BYTES); }
      break;
    }
    case 'masked-input': {
      const P = need(ctx.participants, 'participants'), pos = new Map(P.map((id, i) => [id, i]));
      bitmap(w, P, m.cohort);
      w.u16(m.shares.length);
      for (const e of m.shares) { w.idx(pos.get(e.from) ?? -1, P.length); w.b64(e.envelope, ENVELOPE_BYTES); }
      break;
    }
    case 'unmasking': bitmap(w, need(ctx.participants, 'participants'), m.survivors); break;
  }
  return w.finish();
}

/** Decodes a request; `undefined` if it does not parse. After a share-keys request, pass its participants on. */
export function decodeRequest(bytes: Uint8Array, ctx: WireContext = {}): WireRequest | undefined {
  try {
    const r = new Reader(bytes);
    const { step, roundId } = readHeader(r, true);
    let m: WireRequest;
    switch (step) {
      case 'advertise-keys': m = { step, roundId, seed: r.b64(32), bits: r.u8(), d: r.u32() }; break;
      case 'share-keys': {
        const k = r.u16(), t = r.u16(), n = r.u32();
        if (n > bytes.length) return undefined;
        const participants: string[] = [];
        for (let i = 0; i < n; i++) participants.push(r.str());
        const count = r.u16(), neighbours = [];
        for (let i = 0; i < count; i++) neighbours.push({ id: r.idx(participants), cPk: r.b64(KEY_BYTES), sPk: r.b64(KEY_BYTES) });
        m = { step, roundId, k, t, participants, neighbours };
        break;
      }
      case 'masked-input': {
        const P = need(ctx.participants, 'participants');
        const cohort = readBitmap(r, P), count = r.u16(), shares = [];
        for (let i = 0; i < count; i++) shares.push({ from: r.idx(P), envelope: r.b64(ENVELOPE_BYTES) });
        m = { step, roundId, cohort, shares };
        break;
      }
      case 'unmasking': m = { step, roundId, survivors: readBitmap(r, need(ctx.participants, 'participants')) }; break;
      default: return undefined;
    }
    r.end();
    return m;
  } catch { return undefined; }
}

/** Encodes a device → server reply (the device knows the participants from its share-keys request). */
export function encodeReply(m: WireReply, ctx: WireContext = {}): Uint8Array {
  const w = new Writer();
  writeHeader(w, m.step, m.roundId, false);
  if (m.step === 'advertise-keys') { w.str(m.sender); w.b64(m.cPk, KEY_BYTES); w.b64(m.sPk, KEY_BYTES); return w.finish(); }
  const P = need(ctx.participants, 'participants'), pos = new Map(P.map((id, i) => [id, i]));
  w.idx(pos.get(m.sender) ?? -1, P.length);
  switch (m.step) {
    case 'share-keys':
      w.b64(m.bCommit, COMMIT_BYTES); w.u16(m.shares.length);
      for (const e of m.shares) { w.idx(pos.get(e.to) ?? -1, P.length); w.b64(e.envelope, ENVELOPE_BYTES); }
      break;
    case 'masked-input': w.b64(m.y, packedBytes(need(ctx.d, 'd'), need(ctx.bits, 'bits'))); break;
    case 'unmasking':
      w.u16(m.shares.length);
      for (const e of m.shares) { w.idx(pos.get(e.owner) ?? -1, P.length); w.u8(e.kind === 'b' ? 0 : 1); w.b64(e.share, SHARE_BYTES); }
      break;
  }
  return w.finish();
}

/** Decodes a reply; `undefined` if it does not parse. The result then goes through `SecAggServer.receive`. */
export function decodeReply(bytes: Uint8Array, ctx: WireContext = {}): WireReply | undefined {
  try {
    const r = new Reader(bytes);
    const { step, roundId } = readHeader(r, false);
    if (!step) return undefined;
    let m: WireReply;
    if (step === 'advertise-keys') m = { step, roundId, sender: r.str(), cPk: r.b64(KEY_BYTES), sPk: r.b64(KEY_BYTES) };
    else {
      const P = need(ctx.participants, 'participants'), sender = r.idx(P);
      switch (step) {
        case 'share-keys': {
          const bCommit = r.b64(COMMIT_BYTES), count = r.u16(), shares = [];
          for (let i = 0; i < count; i++) shares.push({ to: r.idx(P), envelope: r.b64(ENVELOPE_BYTES) });
          m = { step, roundId, sender, bCommit, shares };
          break;
        }
        case 'masked-input': m = { step, roundId, sender, y: r.b64(packedBytes(need(ctx.d, 'd'), need(ctx.bits, 'bits'))) }; break;
        case 'unmasking': {
          const count = r.u16(), shares: Unmask['shares'] = [];
          for (let i = 0; i < count; i++) {
            const owner = r.idx(P), kind = r.u8();
            if (kind > 1) return undefined;
            shares.push({ owner, kind: kind === 0 ? 'b' : 's', share: r.b64(SHARE_BYTES) });
          }
          m = { step, roundId, sender, shares };
          break;
        }
        default: return undefined;
      }
    }
    r.end();
    return m;
  } catch { return undefined; }
}
