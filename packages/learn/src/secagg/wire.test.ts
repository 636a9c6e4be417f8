// The binary wire form: every request and reply of a real round decodes to the same message it encoded, the
// round still sums exactly when every message crosses the wire, anything truncated or extended is refused, and
// the sizes are the README's.
import { describe, expect, it } from 'vitest';
import { toB64 } from './bytes.js';
import { SecAggDevice } from './device.js';
import { SecAggServer } from './server.js';
import { testVector } from './testing.js';
import { decodeReply, decodeRequest, encodeReply, encodeRequest, type WireContext } from './wire.js';

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
});
