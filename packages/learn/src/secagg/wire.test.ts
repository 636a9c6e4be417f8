// The binary wire form: every request and reply of a real round decodes to the same message it encoded, the
// round still sums exactly when every message crosses the wire, anything truncated or extended is refused, and
// the sizes are the README's.
import { describe, expect, it } from 'vitest';
import { toB64 } from './bytes.js';
import { SecAggDevice } from './device.js';
import { SecAggServer } from './server.js';
import { testVector } from './testing.js';
import { decodeReply, decodeRequest, encodeReply, encodeRequest, readReply, readRequest, WIRE_VERSION, type WireContext } from './wire.js';

describe('wire', () => {
  it('round-trips every message of a round with a dropout, and the sum is exact', async () => {
    const d = 301, bits = 15, ids = Array.from({ length: 12 }, (_, i) => `device-${String(i).padStart(2, '0')}`);
    const server = SecAggServer.open({ roundId: 'wire-round', bits, d, minCohort: 6, k: 6, t: 3 });
    const devs = ids.map((id) => SecAggDevice.create(id, { minCohort: 6, minDegree: 6, minThreshold: 3 }));
    const sizes: Record<string, number> = {};
    const viaWire = <T>(enc: Uint8Array, dec: (b: Uint8Array) => T | undefined, orig: unknown, key: string): T => {
      sizes[key] = enc.length;
      const back = dec(enc)!;
      expect(back).toEqual(orig);
      expect(dec(enc.subarray(0, enc.length - 1))).toBeUndefined();
      const longer = new Uint8Array(enc.length + 1); longer.set(enc);
      expect(dec(longer)).toBeUndefined();
      return back;
    };
    const ctx: WireContext = { d, bits };
    const adv = viaWire(encodeRequest(server.advertiseRequest()), (b) => decodeRequest(b), server.advertiseRequest(), 'advertise request');
    for (const dv of devs) {
      const r = await dv.advertiseKeys(adv as never); if (!r.ok) throw new Error(r.reason);
      expect((await server.receive(viaWire(encodeReply(r.message), (b) => decodeReply(b), r.message, 'advertise'))).ok).toBe(true);
    }
    const sk = await server.closeAdvertise(); if (!sk.ok) throw new Error(sk.reason);
    ctx.participants = sk.message[ids[0]!]!.participants;
    for (const [i, dv] of devs.entries()) {
      const req = viaWire(encodeRequest(sk.message[ids[i]!]!), (b) => decodeRequest(b), sk.message[ids[i]!], 'share-keys request');
      const r = await dv.shareKeys(req as never); if (!r.ok) throw new Error(r.reason);
      expect((await server.receive(viaWire(encodeReply(r.message, ctx), (b) => decodeReply(b, ctx), r.message, 'share-keys'))).ok).toBe(true);
    }
    const mk = server.closeShareKeys(); if (!mk.ok) throw new Error(mk.reason);
    const xs = ids.map((_, i) => testVector(d, bits, i + 1));
    for (const [i, dv] of devs.entries()) {
      const req = viaWire(encodeRequest(mk.message[ids[i]!]!, ctx), (b) => decodeRequest(b, ctx), mk.message[ids[i]!], 'masked-input request');
      const r = await dv.maskedInput(req as never, xs[i]!); if (!r.ok) throw new Error(r.reason);
      if (i === 5) continue; // drops during masking
      expect((await server.receive(viaWire(encodeReply(r.message, ctx), (b) => decodeReply(b, ctx), r.message, 'masked-input'))).ok).toBe(true);
    }
    const um = server.closeMaskedInput(); if (!um.ok) throw new Error(um.reason);
    for (const [id, req0] of Object.entries(um.message)) {
      const req = viaWire(encodeRequest(req0, ctx), (b) => decodeRequest(b, ctx), req0, 'unmask request');
      const r = await devs[ids.indexOf(id)]!.unmask(req as never); if (!r.ok) throw new Error(r.reason);
      expect((await server.receive(viaWire(encodeReply(r.message, ctx), (b) => decodeReply(b, ctx), r.message, 'unmask'))).ok).toBe(true);
    }
    const fin = await server.finish(); if (!fin.ok) throw new Error(fin.reason);
    const want = new Uint32Array(d);
    xs.forEach((x, i) => { if (i !== 5) for (let j = 0; j < d; j++) want[j] = (want[j]! + x[j]!) % 2 ** bits; });
    expect(Array.from(fin.message.sum)).toEqual(Array.from(want));
    // header: version, step, round id (1 + 10 bytes); sender index 2 bytes; raw keys, envelopes, packed vector
    const head = 2 + 1 + 'wire-round'.length;
    expect(sizes.advertise).toBe(head + 1 + 'device-00'.length + 64);
    expect(sizes['share-keys']).toBe(head + 2 + 32 + 2 + 6 * (2 + 94));
    expect(sizes['masked-input']).toBe(head + 2 + Math.ceil((d * bits) / 8));
    expect(decodeReply(new Uint8Array([9, 0, 0]))).toBeUndefined();
  });

  it('refuses a message read in the wrong direction or at another version', () => {
    const server = SecAggServer.open({ roundId: 'r', bits: 15, d: 8, minCohort: 3, k: 2, t: 2 });
    const req = encodeRequest(server.advertiseRequest());
    const reply = encodeReply({ step: 'advertise-keys', roundId: 'r', sender: 'a', cPk: toB64(new Uint8Array(32).fill(1)), sPk: toB64(new Uint8Array(32).fill(2)) });
    expect(decodeRequest(req)).toEqual(server.advertiseRequest());
    expect(decodeReply(reply)?.step).toBe('advertise-keys');
    expect(decodeReply(req)).toBeUndefined();
    expect(decodeRequest(reply)).toBeUndefined();
    for (const b of [req, reply]) {
      const other = b.slice(); other[0] = 2;
      expect(b === req ? decodeRequest(other) : decodeReply(other)).toBeUndefined();
    }
  });

  it('says why a message does not parse: version, direction, step, length, keys, indices, padding', () => {
    const P = ['a', 'b', 'c'], d = 5, bits = 15, ctx: WireContext = { participants: P, d, bits };
    const key = (v: number) => toB64(new Uint8Array(32).fill(v));
    const adv = encodeReply({ step: 'advertise-keys', roundId: 'r', sender: '', cPk: key(1), sPk: key(2) });
    const reason = (b: Uint8Array, expect?: Parameters<typeof readReply>[2], c: WireContext = ctx) => { const o = readReply(b, c, expect); return o.ok ? 'ok' : o.reason; };
    expect(reason(adv, 'advertise-keys')).toBe('ok');
    const v2 = adv.slice(); v2[0] = WIRE_VERSION + 1;
    expect(readReply(v2)).toMatchObject({ ok: false, reason: 'bad-version', detail: `wire version ${WIRE_VERSION + 1}, expected ${WIRE_VERSION}` });
    // JSON where the wire form is expected: '{' is not a version
    expect(reason(new TextEncoder().encode('{"cPk":"x"}'))).toBe('bad-version');
    expect(reason(new Uint8Array(0))).toBe('wrong-length');
    expect(reason(adv.subarray(0, 2))).toBe('wrong-length');
    expect(reason(adv, 'share-keys')).toBe('out-of-order');
    expect(reason(encodeRequest({ step: 'unmasking', roundId: 'r', survivors: ['a'] }, ctx))).toBe('malformed');
    const unknown = adv.slice(); unknown[1] = 9;
    expect(reason(unknown)).toBe('malformed');
    expect(reason(adv.subarray(0, adv.length - 1))).toBe('bad-key');
    expect(readReply(adv.subarray(0, adv.length - 32))).toMatchObject({ reason: 'bad-key', detail: 'the keys are 32 bytes, expected 64 (two 32-byte X25519 keys)' });
    const longer = new Uint8Array(adv.length + 3); longer.set(adv);
    expect(readReply(longer)).toMatchObject({ reason: 'wrong-length', detail: `3 trailing bytes after the message's ${adv.length}` });
    // a sender index outside the participants; a share kind other than b and s
    const um = encodeReply({ step: 'unmasking', roundId: 'r', sender: 'b', shares: [{ owner: 'a', kind: 's', share: toB64(new Uint8Array(33).fill(7)) }] }, ctx);
    expect(reason(um, 'unmasking')).toBe('ok');
    const far = um.slice(); far[4] = 3; // sender index (after version, step, round id 'r')
    expect(readReply(far, ctx)).toMatchObject({ reason: 'malformed', detail: 'device index 3 outside the 3 participants' });
    const kind = um.slice(); kind[4 + 2 + 2 + 2] = 2;
    expect(readReply(kind, ctx)).toMatchObject({ reason: 'malformed', detail: 'share kind 2 (0: b, 1: s)' });
    // a reply after advertise cannot be read before the participants are known
    expect(reason(um, undefined, {})).toBe('out-of-order');
    // the masked vector: exact length, zero padding bits (5 · 15 = 75 bits: 5 unused in the last byte)
    const mi = encodeReply({ step: 'masked-input', roundId: 'r', sender: 'c', y: toB64(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 0)) }, ctx);
    expect(reason(mi)).toBe('ok');
    const pad = mi.slice(); pad[pad.length - 1] = 0x80;
    expect(readReply(pad, ctx)).toMatchObject({ reason: 'bad-encoding', detail: 'padding bits of the masked vector\'s last byte must be zero' });
    expect(reason(mi.subarray(0, mi.length - 1))).toBe('wrong-length');
    // a round id that is not UTF-8
    const bad = adv.slice(); bad[3] = 0xff;
    expect(reason(bad)).toBe('bad-encoding');
    // requests: the same checks, and bitmap padding (3 participants use 3 bits of the byte)
    const un = encodeRequest({ step: 'unmasking', roundId: 'r', survivors: ['a', 'c'] }, ctx);
    expect(readRequest(un, ctx, 'unmasking')).toMatchObject({ ok: true, message: { survivors: ['a', 'c'] } });
    const bits8 = un.slice(); bits8[bits8.length - 1]! |= 0x10;
    expect(readRequest(bits8, ctx)).toMatchObject({ ok: false, reason: 'bad-encoding' });
    expect(readRequest(un, ctx, 'masked-input')).toMatchObject({ ok: false, reason: 'out-of-order' });
    expect(readRequest(un, {})).toMatchObject({ ok: false, reason: 'out-of-order', detail: 'the participants are not known yet' });
    expect(readRequest(adv)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
