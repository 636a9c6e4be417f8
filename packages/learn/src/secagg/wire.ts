/**
 * The binary wire form of the secure-aggregation messages (the JSON objects of `messages.ts` stay the state
 * machines' API and saved state). Raw bytes instead of base64, the masked vector packed at its bit width, and
 * devices named by their index in the round's sorted participant list (2 bytes while n ≤ 65,536, else 4) instead of
 * their id; the participant list itself travels once, in the share-keys request, and the later sets (U2, U3) as
 * bitmaps over it (n/8 bytes). Little-endian throughout. Layout: version byte, step byte (+0x80 for a request),
 * round id (1-byte length + UTF-8), then the step's fields. Decoding needs the round's context (participants,
 * d, bits) and refuses anything that does not parse exactly, to the last byte: `readRequest`/`readReply` say why
 * (a reason code and detail), `decodeRequest`/`decodeReply` return `undefined`.
 */
import { fromB64, packedBytes, toB64, utf8 } from './bytes.js';
import { COMMIT_BYTES, ENVELOPE_BYTES, KEY_BYTES, reject, STEPS,
  type AdvertiseKeys, type AdvertiseKeysRequest, type MaskedInput, type MaskedInputRequest, type ShareKeys,
  type Outcome, type Reason, type ShareKeysRequest, type Step, type Unmask, type UnmaskRequest } from './messages.js';
import { SHARE_BYTES } from './shamir.js';

export const WIRE_VERSION = 1;
/** Media type of a body in this wire form, over HTTP (requests of the device, answers of the aggregator). */
export const SECAGG_CONTENT_TYPE = `application/vnd.perch.secagg.v${WIRE_VERSION}`;
/** HTTP header of the aggregator's answers to advertise: the device's credential `<device id>.<MAC>`. */
export const SECAGG_TOKEN_HEADER = 'perch-secagg-token';
export type WireRequest = AdvertiseKeysRequest | ShareKeysRequest | MaskedInputRequest | UnmaskRequest;
export type WireReply = AdvertiseKeys | ShareKeys | MaskedInput | Unmask;
/** What decoding needs: the participants (from the share-keys request on) and the vector's shape. */
export interface WireContext { participants?: readonly string[]; d?: number; bits?: number }

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Why a message does not parse (caught by the readers below). */
class WireError extends Error {
  constructor(readonly reason: Reason, detail: string) { super(detail); }
}

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
  private need(n: number) { if (this.o + n > this.b.length) throw new WireError('wrong-length', `truncated: ${this.b.length} bytes, at least ${this.o + n} needed`); }
  get left(): number { return this.b.length - this.o; }
  u8() { this.need(1); return this.b[this.o++]!; }
  u16() { this.need(2); const v = this.b[this.o]! | (this.b[this.o + 1]! << 8); this.o += 2; return v; }
  u32() { this.need(4); const v = new DataView(this.b.buffer, this.b.byteOffset + this.o, 4).getUint32(0, true); this.o += 4; return v; }
  bytes(n: number) { this.need(n); const v = this.b.slice(this.o, this.o + n); this.o += n; return v; }
  b64(n: number) { return toB64(this.bytes(n)); }
  str() {
    const b = this.bytes(this.u8());
    try { return decoder.decode(b); } catch { throw new WireError('bad-encoding', 'a string is not UTF-8'); }
  }
  idx(list: readonly string[]) {
    const i = list.length <= 65_536 ? this.u16() : this.u32(), id = list[i];
    if (id === undefined) throw new WireError('malformed', `device index ${i} outside the ${list.length} participants`);
    return id;
  }
  end() { if (this.o !== this.b.length) throw new WireError('wrong-length', `${this.b.length - this.o} trailing bytes after the message's ${this.o}`); }
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
  if (all.length % 8 && b[b.length - 1]! >> (all.length % 8)) throw new WireError('bad-encoding', 'padding bits of a bitmap must be zero');
  return out;
}

/** Version byte, step byte (+0x80 for a request), round id. */
function writeHeader(w: Writer, step: Step, roundId: string, request: boolean) {
  w.u8(WIRE_VERSION); w.u8((request ? 0x80 : 0) | stepCode(step)); w.str(roundId);
}
/** The header's step and round; refuses another version, the other direction, an unknown step and, when `expect`
 * is given, another step (`out-of-order`). */
function readHeader(r: Reader, request: boolean, expect?: Step): { step: Step; roundId: string } {
  const version = r.u8();
  if (version !== WIRE_VERSION) throw new WireError('bad-version', `wire version ${version}, expected ${WIRE_VERSION}`);
  const code = r.u8();
  if (Boolean(code & 0x80) !== request) throw new WireError('malformed', `a ${request ? 'reply' : 'request'} where a ${request ? 'request' : 'reply'} was expected`);
  const step = STEPS[code & 0x7f];
  if (!step) throw new WireError('malformed', `unknown step ${code & 0x7f}`);
  if (expect && step !== expect) throw new WireError('out-of-order', `a ${step} message where ${expect} was expected`);
  return { step, roundId: r.str() };
}

/** A field of the context the caller must pass (participants: from the share-keys request on). */
const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw what === 'participants' ? new WireError('out-of-order', 'the participants are not known yet') : new RangeError(`wire: needs ${what}`);
  return v;
};
/** Runs a reader; a `WireError` becomes the refusal, any other error propagates. */
function parse<T>(read: () => T): Outcome<T> {
  try { return { ok: true, message: read() }; } catch (e) {
    if (e instanceof WireError) return reject(e.reason, e.message);
    throw e;
  }
}

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

/** Reads a request, or why it does not parse (`expect`: the step the caller waits for). After a share-keys
 * request, pass its participants on. */
export function readRequest(bytes: Uint8Array, ctx: WireContext = {}, expect?: Step): Outcome<WireRequest> {
  return parse(() => {
    const r = new Reader(bytes);
    const { step, roundId } = readHeader(r, true, expect);
    let m: WireRequest;
    switch (step) {
      case 'advertise-keys': m = { step, roundId, seed: r.b64(32), bits: r.u8(), d: r.u32() }; break;
      case 'share-keys': {
        const k = r.u16(), t = r.u16(), n = r.u32();
        if (n > r.left) throw new WireError('wrong-length', `${n} participants in ${r.left} bytes`);
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
    }
    r.end();
    return m;
  });
}

/** `readRequest`'s message, or `undefined` if it does not parse. */
export function decodeRequest(bytes: Uint8Array, ctx: WireContext = {}): WireRequest | undefined {
  const out = readRequest(bytes, ctx);
  return out.ok ? out.message : undefined;
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

/**
 * Reads a reply, or why it does not parse (`expect`: the step the caller collects). The masked vector's padding
 * bits must be zero; an advertise whose keys are not 2 × 32 bytes is `bad-key`. The result then goes through
 * `SecAggServer.receive`.
 */
export function readReply(bytes: Uint8Array, ctx: WireContext = {}, expect?: Step): Outcome<WireReply> {
  return parse(() => {
    const r = new Reader(bytes);
    const { step, roundId } = readHeader(r, false, expect);
    let m: WireReply;
    if (step === 'advertise-keys') {
      const sender = r.str();
      if (r.left < 2 * KEY_BYTES) throw new WireError('bad-key', `the keys are ${r.left} bytes, expected ${2 * KEY_BYTES} (two ${KEY_BYTES}-byte X25519 keys)`);
      m = { step, roundId, sender, cPk: r.b64(KEY_BYTES), sPk: r.b64(KEY_BYTES) };
    } else {
      const P = need(ctx.participants, 'participants'), sender = r.idx(P);
      switch (step) {
        case 'share-keys': {
          const bCommit = r.b64(COMMIT_BYTES), count = r.u16(), shares = [];
          for (let i = 0; i < count; i++) shares.push({ to: r.idx(P), envelope: r.b64(ENVELOPE_BYTES) });
          m = { step, roundId, sender, bCommit, shares };
          break;
        }
        case 'masked-input': {
          const d = need(ctx.d, 'd'), bits = need(ctx.bits, 'bits'), y = r.bytes(packedBytes(d, bits)), used = (d * bits) % 8;
          if (used && y[y.length - 1]! >> used) throw new WireError('bad-encoding', 'padding bits of the masked vector\'s last byte must be zero');
          m = { step, roundId, sender, y: toB64(y) };
          break;
        }
        case 'unmasking': {
          const count = r.u16(), shares: Unmask['shares'] = [];
          for (let i = 0; i < count; i++) {
            const owner = r.idx(P), kind = r.u8();
            if (kind > 1) throw new WireError('malformed', `share kind ${kind} (0: b, 1: s)`);
            shares.push({ owner, kind: kind === 0 ? 'b' : 's', share: r.b64(SHARE_BYTES) });
          }
          m = { step, roundId, sender, shares };
          break;
        }
      }
    }
    r.end();
    return m;
  });
}

/** `readReply`'s message, or `undefined` if it does not parse. */
export function decodeReply(bytes: Uint8Array, ctx: WireContext = {}): WireReply | undefined {
  const out = readReply(bytes, ctx);
  return out.ok ? out.message : undefined;
}
